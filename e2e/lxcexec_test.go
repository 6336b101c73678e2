package e2e

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"maps"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// sshFixture is the simulator's sshd and a client key it authorizes.
type sshFixture struct {
	sshd    *pvesim.SSHServer
	keyFile string // the private key, mode 0600
	known   string // known_hosts pinning every node
	env     map[string]string
	pem     []byte
}

func newSSHFixture(t *testing.T, cl *cluster) *sshFixture {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &sshFixture{keyFile: filepath.Join(dir, "id_ed25519"), known: filepath.Join(dir, "known_hosts"), pem: pem.EncodeToMemory(block)}
	if err := os.WriteFile(f.keyFile, f.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	f.sshd, err = cl.sim.ServeSSH(pvesim.SSHOptions{AuthorizedKeys: func() ([]ssh.PublicKey, error) {
		return []ssh.PublicKey{signer.PublicKey()}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sshd.Close() })
	if err := os.WriteFile(f.known, []byte(f.sshd.KnownHosts()), 0o644); err != nil {
		t.Fatal(err)
	}
	f.env = map[string]string{
		"PVE_TOOLSETS":             "exec,lxc",
		"PVE_AGENT_EXEC_ALLOWLIST": "ro:/bin/hostname; ro:/usr/bin/df ...; ro:/bin/cat ...; ro:/bin/false; /usr/bin/touch /tmp/*; ro:/bin/sleep *",
		"PVE_SSH_KEY_FILE":         f.keyFile,
		"PVE_SSH_KNOWN_HOSTS":      f.known,
		"PVE_SSH_HOSTS":            f.sshd.Hosts(),
	}
	return f
}

type ctExecOut struct {
	ExitCode  int      `json:"exitCode"`
	Stdout    string   `json:"stdout"`
	Stderr    string   `json:"stderr"`
	StdoutCut int64    `json:"stdoutCutBytes"`
	Command   []string `json:"command"`
}

func ctExec(node string, vmid int, argv ...string) map[string]any {
	return m("node", node, "vmid", vmid, "command", argv)
}

// TestLXCExec calls pve_lxc_exec over MCP against the simulator's sshd.
func TestLXCExec(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	f := newSSHFixture(t, cl)
	declined := &askLog{answer: "decline"}
	c := cl.connect(t, clientOpts{env: f.env, elicit: declined.handler})
	ran := func() int { return len(f.sshd.Commands()) }

	t.Run("output and exit code", func(t *testing.T) {
		var out ctExecOut
		c.ok("pve_lxc_exec", ctExec("pve1", 200, "/bin/hostname"), &out)
		if out.ExitCode != 0 || out.Stdout != "proxy\n" {
			t.Errorf("hostname: %+v", out)
		}
		c.ok("pve_lxc_exec", ctExec("pve1", 200, "/usr/bin/df", "-h"), &out)
		if out.ExitCode != 0 || !strings.Contains(out.Stdout, "/dev/mapper/pve-vm--200--disk--0") {
			t.Errorf("df -h: %+v", out)
		}
		if got := f.sshd.Commands(); got[len(got)-1] != "pve1: pct exec 200 -- /usr/bin/df -h" {
			t.Errorf("command line %q", got[len(got)-1])
		}
	})

	t.Run("non-zero exit", func(t *testing.T) {
		var out ctExecOut
		c.ok("pve_lxc_exec", ctExec("pve1", 200, "/bin/false"), &out)
		if out.ExitCode != 1 {
			t.Errorf("false: %+v", out)
		}
		// shell syntax in an argument arrives as one word
		c.ok("pve_lxc_exec", ctExec("pve1", 200, "/bin/cat", "x; reboot"), &out)
		if out.ExitCode != 1 || out.Stderr != "cat: x; reboot: No such file or directory\n" {
			t.Errorf("cat 'x; reboot': %+v", out)
		}
	})

	t.Run("not allowed", func(t *testing.T) {
		before := ran()
		c.fails("pve_lxc_exec", ctExec("pve1", 200, "/sbin/reboot"), "is not in PVE_AGENT_EXEC_ALLOWLIST")
		c.fails("pve_lxc_exec", ctExec("pve1", 200, "/bin/sh", "-c", "reboot"), "is not in PVE_AGENT_EXEC_ALLOWLIST")
		if n := ran() - before; n != 0 {
			t.Errorf("%d commands reached the node", n)
		}
	})

	t.Run("consent declined", func(t *testing.T) {
		before := ran()
		c.fails("pve_lxc_exec", ctExec("pve1", 200, "/usr/bin/touch", "/tmp/x"), "confirm: true")
		args := ctExec("pve1", 200, "/usr/bin/touch", "/tmp/x")
		args["confirm"] = true
		c.fails("pve_lxc_exec", args, "the user declined")
		if asked := declined.asked(); len(asked) != 1 || !strings.Contains(asked[0], "/usr/bin/touch /tmp/x in CT 200 on pve1") {
			t.Errorf("asked %q", asked)
		}
		if n := ran() - before; n != 0 {
			t.Errorf("%d commands reached the node", n)
		}
	})

	t.Run("consent given", func(t *testing.T) {
		accepted := &askLog{answer: "accept"}
		a := cl.connect(t, clientOpts{env: f.env, elicit: accepted.handler})
		args := ctExec("pve1", 200, "/usr/bin/touch", "/tmp/made-by-e2e")
		args["confirm"] = true
		var out ctExecOut
		a.ok("pve_lxc_exec", args, &out)
		if out.ExitCode != 0 || len(accepted.asked()) != 1 {
			t.Errorf("touch: %+v, asked %q", out, accepted.asked())
		}
		// the container holds the file now
		a.ok("pve_lxc_exec", ctExec("pve1", 200, "/bin/cat", "/tmp/made-by-e2e"), &out)
		if out.ExitCode != 0 || out.Stderr != "" {
			t.Errorf("cat after touch: %+v", out)
		}
	})

	t.Run("container stopped or elsewhere", func(t *testing.T) {
		before := ran()
		c.fails("pve_lxc_exec", ctExec("pve2", 201, "/bin/hostname"), "CT 201 on pve2 is stopped", "pve_lxc_start")
		c.fails("pve_lxc_exec", ctExec("pve1", 201, "/bin/hostname"), "does not exist")
		if n := ran() - before; n != 0 {
			t.Errorf("%d commands reached the node", n)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		// sleep 1000 takes 10 s at speed 0.01
		args := ctExec("pve1", 200, "/bin/sleep", "1000")
		args["timeout"] = 1
		c.fails("pve_lxc_exec", args, "timed out after 1s", "may still be running")
	})

	t.Run("host keys", func(t *testing.T) {
		// known_hosts lines are "[127.0.0.1]:port ssh-ed25519 KEY", pve1 first
		pinned := strings.Split(strings.TrimSpace(f.sshd.KnownHosts()), "\n")
		_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
		other, _ := ssh.NewSignerFromKey(otherKey)
		changed := strings.Fields(pinned[0])[0] + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other.PublicKey())))
		try := func(known, want string) {
			t.Helper()
			file := filepath.Join(t.TempDir(), "known_hosts")
			writeFile(t, file, known, 0o644)
			env := maps.Clone(f.env)
			env["PVE_SSH_KNOWN_HOSTS"] = file
			before := ran()
			cl.connect(t, clientOpts{env: env}).fails("pve_lxc_exec", ctExec("pve1", 200, "/bin/hostname"), want, "nothing was run")
			if n := ran() - before; n != 0 {
				t.Errorf("%d commands reached the node", n)
			}
		}
		// another key pinned for pve1: refused as a changed key
		try(changed+"\n"+pinned[1]+"\n", "does not match the one pinned in PVE_SSH_KNOWN_HOSTS")
		// pve1 not pinned at all: refused as unknown, never trusted on first use
		try(pinned[1]+"\n", "is not in PVE_SSH_KNOWN_HOSTS")
	})

	t.Run("key file others can read", func(t *testing.T) {
		loose := filepath.Join(t.TempDir(), "id")
		writeFile(t, loose, string(f.pem), 0o644)
		id, secret := cl.sim.DefaultToken()
		cmd := osexec.Command(binary)
		cmd.Env = []string{"PROXMOX_HOST=" + cl.url, "PROXMOX_TOKEN_ID=" + id, "PROXMOX_TOKEN_SECRET=" + secret,
			"PVE_SSH_KEY_FILE=" + loose, "PVE_SSH_KNOWN_HOSTS=" + f.known}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "PVE_SSH_KEY_FILE") || !strings.Contains(string(out), "chmod 600") ||
			strings.Contains(string(out), "PRIVATE KEY") {
			t.Fatalf("err=%v output=%s", err, out)
		}
	})
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestSimCommandSSH follows the README: `sim --ssh-listen --ssh-dir`, a key
// in authorized_keys, and the PVE_SSH_* values the simulator prints.
func TestSimCommandSSH(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	block, _ := ssh.MarshalPrivateKey(priv, "")
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	writeFile(t, keyFile, string(pem.EncodeToMemory(block)), 0o600)
	writeFile(t, filepath.Join(dir, "authorized_keys"), string(ssh.MarshalAuthorizedKey(signer.PublicKey())), 0o600)
	addr := freeAddr(t)
	sim := osexec.Command(binary, "sim", "--plain-http", "--listen", addr, "--speed", "0.02", "--ssh-listen", "127.0.0.1:0", "--ssh-dir", dir)
	sim.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := sim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Process.Signal(syscall.SIGTERM); _ = sim.Wait() })
	env := map[string]string{"PVE_READONLY": "false", "PVE_TOOLSETS": "exec", "PVE_SSH_KEY_FILE": keyFile,
		"PVE_AGENT_EXEC_ALLOWLIST": "ro:/usr/bin/uname ..."}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		line := strings.TrimPrefix(lines.Text(), "export ")
		if k, v, ok := strings.Cut(line, "="); ok && (strings.HasPrefix(k, "PROXMOX_") || strings.HasPrefix(k, "PVE_SSH_")) {
			env[k] = strings.Trim(v, "'")
		}
		if env["PROXMOX_TOKEN_SECRET"] != "" {
			break
		}
	}
	if env["PVE_SSH_KNOWN_HOSTS"] != filepath.Join(dir, "known_hosts") || env["PVE_SSH_HOSTS"] == "" {
		t.Fatalf("sim printed %v", env)
	}
	go func() {
		for lines.Scan() {
		}
	}()
	c := start(t, env, clientOpts{})
	var res ctExecOut
	c.ok("pve_lxc_exec", ctExec("pve1", 200, "/usr/bin/uname", "-n"), &res)
	if res.ExitCode != 0 || res.Stdout != "proxy\n" {
		t.Errorf("uname -n: %+v", res)
	}
}
