package config

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func writeKey(t *testing.T, key any, passphrase string, mode os.FileMode) string {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(key, "", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(key, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func knownHostsFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSSH(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	hostSigner, _ := ssh.NewSignerFromKey(edKey)
	known := knownHostsFile(t, "10.0.0.1 "+string(ssh.MarshalAuthorizedKey(hostSigner.PublicKey())), 0o644)
	for _, k := range []any{edKey, ecKey, rsaKey} {
		m := base()
		m["PVE_SSH_KEY_FILE"] = writeKey(t, k, "", 0o600)
		m["PVE_SSH_KNOWN_HOSTS"] = known
		m["PVE_SSH_HOSTS"] = "pve1=10.0.0.1:2222, pve2=10.0.0.2,pve3=[fd00::3]:22,pve4=fd00::4"
		m["PVE_SSH_PORT"] = "2200"
		c, err := Load(env(m))
		if err != nil {
			t.Fatalf("%T: %v", k, err)
		}
		s := c.SSH
		if s == nil || s.User != "root" || s.Signer == nil || s.Port != 2200 || s.Hosts["pve1"] != "10.0.0.1:2222" ||
			s.Hosts["pve2"] != "10.0.0.2:2200" || s.Hosts["pve3"] != "[fd00::3]:22" || s.Hosts["pve4"] != "[fd00::4]:2200" {
			t.Fatalf("%T: %+v", k, s)
		}
	}
	// off without a key file
	if c, err := Load(env(base())); err != nil || c.SSH != nil {
		t.Fatalf("off: %+v %v", c, err)
	}
	// a passphrase file opens a protected key
	m := base()
	m["PVE_SSH_KEY_FILE"] = writeKey(t, edKey, "sesame", 0o600)
	m["PVE_SSH_KNOWN_HOSTS"] = known
	m["PVE_SSH_KEY_PASSPHRASE_FILE"] = knownHostsFile(t, "sesame\n", 0o600)
	if c, err := Load(env(m)); err != nil || c.SSH.Signer == nil {
		t.Fatalf("passphrase: %v", err)
	}
}

func TestSSHProblems(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	hostSigner, _ := ssh.NewSignerFromKey(edKey)
	known := knownHostsFile(t, "10.0.0.1 "+string(ssh.MarshalAuthorizedKey(hostSigner.PublicKey())), 0o644)
	good := writeKey(t, edKey, "", 0o600)
	pub := knownHostsFile(t, string(ssh.MarshalAuthorizedKey(hostSigner.PublicKey())), 0o600)
	cases := []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"PVE_SSH_KNOWN_HOSTS": known}, "PVE_SSH_KNOWN_HOSTS: set, but PVE_SSH_KEY_FILE is not"},
		{map[string]string{"PVE_SSH_KEY_FILE": writeKey(t, edKey, "", 0o644), "PVE_SSH_KNOWN_HOSTS": known},
			"is readable or writable by group or others (mode 0644)"},
		{map[string]string{"PVE_SSH_KEY_FILE": good}, "PVE_SSH_KNOWN_HOSTS: required"},
		{map[string]string{"PVE_SSH_KEY_FILE": good, "PVE_SSH_KNOWN_HOSTS": knownHostsFile(t, "# none\n", 0o644)}, "holds no host key"},
		{map[string]string{"PVE_SSH_KEY_FILE": good, "PVE_SSH_KNOWN_HOSTS": knownHostsFile(t, "", 0o666)}, "writable by group or others"},
		{map[string]string{"PVE_SSH_KEY_FILE": writeKey(t, edKey, "pw", 0o600), "PVE_SSH_KNOWN_HOSTS": known}, "protected by a passphrase"},
		{map[string]string{"PVE_SSH_KEY_FILE": pub, "PVE_SSH_KNOWN_HOSTS": known}, "it holds a public key"},
		{map[string]string{"PVE_SSH_KEY_FILE": good, "PVE_SSH_KNOWN_HOSTS": known, "PVE_SSH_PORT": "0"}, "PVE_SSH_PORT: \"0\" is not a port"},
		{map[string]string{"PVE_SSH_KEY_FILE": good, "PVE_SSH_KNOWN_HOSTS": known, "PVE_SSH_USER": "Root!"}, "PVE_SSH_USER:"},
		{map[string]string{"PVE_SSH_KEY_FILE": good, "PVE_SSH_KNOWN_HOSTS": known, "PVE_SSH_HOSTS": "pve1"}, "is not NODE=HOST[:PORT]"},
		{map[string]string{"PVE_SSH_KEY_FILE": good, "PVE_SSH_KNOWN_HOSTS": known, "PVE_SSH_HOSTS": "pve1=h:99999"}, "has a bad port"},
	}
	for _, c := range cases {
		m := base()
		for k, v := range c.set {
			m[k] = v
		}
		_, err := Load(env(m))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.set, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("key content in %v", err)
		}
	}
}
