package pvesim

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestShellWords(t *testing.T) {
	cases := []struct {
		line string
		want []string
		bad  bool
	}{
		{"pct exec 200 -- echo hi", []string{"pct", "exec", "200", "--", "echo", "hi"}, false},
		{`echo 'x; reboot' "a b" c\ d 'it'\''s'`, []string{"echo", "x; reboot", "a b", "c d", "it's"}, false},
		{"echo x; reboot", nil, true},
		{"echo $(id)", nil, true},
		{"echo *", nil, true},
		{"echo 'open", nil, true},
		{"echo a#b ''", []string{"echo", "a#b", ""}, false},
	}
	for _, c := range cases {
		got, err := shellWords(c.line)
		if c.bad != (err != nil) || !c.bad && !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, %v", c.line, got, err)
		}
	}
}

func TestPctExec(t *testing.T) {
	e := newEnv(t, Options{})
	s := e.sim
	if r := s.nodeCommand("pve1", "pct exec 200 -- uname -r"); r.code != 0 || r.out != s.runningKernel()+"\n" {
		t.Errorf("uname -r: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 200 -- df -h"); r.code != 0 || !strings.Contains(r.out, "/dev/mapper/pve-vm--200--disk--0") ||
		!strings.HasSuffix(strings.SplitN(r.out, "\n", 3)[1], " /") {
		t.Errorf("df -h: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 200 -- ip a"); r.code != 0 || !strings.Contains(r.out, "2: eth0@if") || strings.Contains(r.out, "altname") {
		t.Errorf("ip a: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 200 -- bash -c nosuch"); r.code != 127 || r.err != "bash: line 1: nosuch: command not found\n" {
		t.Errorf("bash -c nosuch: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 999 -- true"); r.code != 255 || r.err != "Configuration file 'nodes/pve1/lxc/999.conf' does not exist\n" {
		t.Errorf("999: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 100 -- true"); r.code != 255 || !strings.Contains(r.err, "lxc/100.conf") {
		t.Errorf("a VM: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 200 -- sleep 2"); r.code != 0 || r.wait != 2e9 {
		t.Errorf("sleep: %+v", r)
	}
	if r := s.nodeCommand("pve1", "reboot"); r.code != 127 {
		t.Errorf("reboot: %+v", r)
	}
}

// TestRunSSH: `sim --ssh-listen --ssh-dir` writes known_hosts, prints the
// PVE_SSH_* values and runs pct exec for a key in authorized_keys.
func TestRunSSH(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _, stop := runSim(t, RunConfig{PlainHTTP: true, Listen: "127.0.0.1:0", SSHListen: "127.0.0.1:0", SSHDir: dir, Options: Options{Speed: 0.01}})
	defer stop()
	if env["PVE_SSH_KNOWN_HOSTS"] != filepath.Join(dir, "known_hosts") || strings.Count(env["PVE_SSH_HOSTS"], "=127.0.0.1:") != 3 {
		t.Fatalf("env %v", env)
	}
	hostKeys, err := knownhosts.New(env["PVE_SSH_KNOWN_HOSTS"])
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(strings.Split(env["PVE_SSH_HOSTS"], ",")[0], "pve1=")
	client, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hostKeys})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("pct exec 200 -- hostname")
	if err != nil || string(out) != "proxy\n" {
		t.Fatalf("%q %v", out, err)
	}
	if err := Run(context.Background(), RunConfig{PlainHTTP: true, Listen: "127.0.0.1:0", SSHListen: "127.0.0.1:0"}); err == nil ||
		!strings.Contains(err.Error(), "--ssh-dir") {
		t.Errorf("no --ssh-dir: %v", err)
	}
}
