package e2e

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// TestPasswordLoginOverPinnedTLS logs in with a user and a password read from
// a file, over HTTPS whose self-signed certificate is trusted by fingerprint.
func TestPasswordLoginOverPinnedTLS(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, pvesim.Options{Speed: 0.02}, true)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(cl.sim.RootPassword()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PROXMOX_HOST": cl.url, "PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD_FILE": pwFile,
		"PROXMOX_TLS_FINGERPRINT": strings.ToLower(cl.fingerprint), "PVE_READONLY": "false", "LOG_LEVEL": "debug",
		"PROXMOX_PASSWORD": ""}
	c := start(t, env, clientOpts{})
	c.task("pve_vm_create", m("node", "pve1", "vmid", 950, "disk", m("storage", "local-lvm", "sizeGb", 1)))
	c.task("pve_vm_start", m("node", "pve1", "vmid", 950))
	if s := c.status("vm", "pve1", 950); s != "running" {
		t.Fatalf("status %s", s)
	}
	c.task("pve_vm_stop", m("node", "pve1", "vmid", 950, "confirm", true))
	c.task("pve_vm_delete", m("node", "pve1", "vmid", 950, "confirm", true, "confirmVmid", 950))
	c.session.Close()
	if strings.Contains(c.transcript.String()+c.stderr.String(), cl.sim.RootPassword()) {
		t.Error("the password appeared in a result or a log line")
	}

	// A wrong pin is refused, naming both fingerprints.
	env["PROXMOX_TLS_FINGERPRINT"] = strings.Repeat("AB:", 31) + "AB"
	bad := start(t, env, clientOpts{})
	bad.fails("pve_list_nodes", nil, strings.Repeat("AB:", 31)+"AB", cl.fingerprint)

	// Without a pin or CA, the self-signed certificate is not trusted.
	delete(env, "PROXMOX_TLS_FINGERPRINT")
	untrusted := start(t, env, clientOpts{})
	untrusted.fails("pve_list_nodes", nil, "certificate")
}

// TestSecretFileMustBePrivate: a secret file others can read stops start-up.
func TestSecretFileMustBePrivate(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	id, secret := cl.sim.DefaultToken()
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command(binary)
	cmd.Env = []string{"PROXMOX_HOST=" + cl.url, "PROXMOX_TOKEN_ID=" + id, "PROXMOX_TOKEN_SECRET_FILE=" + file}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "chmod 600") || strings.Contains(string(out), secret) {
		t.Fatalf("err=%v output=%s", err, out)
	}
}
