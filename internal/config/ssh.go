package config

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// SSH is how pve_lxc_exec reaches the nodes (pct exec has no API call).
type SSH struct {
	User       string
	Signer     ssh.Signer // from PVE_SSH_KEY_FILE
	KnownHosts string     // path of the known_hosts file pinning the node keys
	// Hosts maps a node to host:port; nodes not listed are reached at
	// their address in /cluster/status and Port.
	Hosts map[string]string
	Port  int
}

var sshVars = []string{"PVE_SSH_USER", "PVE_SSH_KNOWN_HOSTS", "PVE_SSH_HOSTS", "PVE_SSH_PORT", "PVE_SSH_KEY_PASSPHRASE_FILE"}

var sshUserRe = lazyre.New(`^[a-z_][a-z0-9_.-]{0,31}$`)

// ssh reads PVE_SSH_*; nil when PVE_SSH_KEY_FILE is unset (pve_lxc_exec is off).
func (p *parser) ssh() *SSH {
	keyFile, on := p.get("PVE_SSH_KEY_FILE")
	if !on {
		for _, k := range sshVars {
			if _, set := p.get(k); set {
				p.fail("%s: set, but PVE_SSH_KEY_FILE is not: pve_lxc_exec needs a private key file (and PVE_SSH_KNOWN_HOSTS)", k)
			}
		}
		return nil
	}
	s := &SSH{User: "root", Port: 22}
	if v, ok := p.get("PVE_SSH_USER"); ok {
		if !sshUserRe.MatchString(v) {
			p.fail("PVE_SSH_USER: %q is not a user name (lower-case letters, digits, '_', '-', '.'; e.g. root)", v)
		}
		s.User = v
	}
	if v, ok := p.get("PVE_SSH_PORT"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			p.fail("PVE_SSH_PORT: %q is not a port (1-65535)", v)
		} else {
			s.Port = n
		}
	}
	s.Signer = p.sshKey("PVE_SSH_KEY_FILE", keyFile)
	s.KnownHosts = p.knownHosts("PVE_SSH_KNOWN_HOSTS")
	s.Hosts = p.sshHosts("PVE_SSH_HOSTS", s.Port)
	return s
}

// sshKey reads a private key: a file only its owner can read, an ed25519,
// ECDSA or RSA key in OpenSSH or PEM form. Nothing of its content is shown.
func (p *parser) sshKey(key, path string) ssh.Signer {
	data, ok := p.secretFile(key, path)
	if !ok {
		return nil
	}
	signer, err := ssh.ParsePrivateKey([]byte(data))
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		pf, set := p.get("PVE_SSH_KEY_PASSPHRASE_FILE")
		if !set {
			p.fail("%s: %s is protected by a passphrase; set PVE_SSH_KEY_PASSPHRASE_FILE to a file (mode 600) holding it, "+
				"or make a key for this server alone without one (ssh-keygen -t ed25519 -N '' -f FILE)", key, path)
			return nil
		}
		phrase, ok := p.secretFile("PVE_SSH_KEY_PASSPHRASE_FILE", pf)
		if !ok {
			return nil
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(data), []byte(trimLineBreak(phrase)))
		if err != nil {
			p.fail("PVE_SSH_KEY_PASSPHRASE_FILE: the passphrase it holds does not open %s", path)
			return nil
		}
	}
	if err != nil {
		hint := ""
		if _, _, _, _, perr := ssh.ParseAuthorizedKey([]byte(data)); perr == nil {
			hint = "; it holds a public key: name the private key file (without .pub)"
		}
		p.fail("%s: %s does not hold a private key in OpenSSH or PEM form (ed25519, ECDSA or RSA)%s", key, path, hint)
		return nil
	}
	switch t := signer.PublicKey().Type(); t {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
	default:
		p.fail("%s: %s holds a %s key; use an ed25519, ECDSA or RSA key", key, path, t)
		return nil
	}
	return signer
}

// knownHosts checks the known_hosts file: required, parsed, holding a host
// key, and writable by its owner only (whoever can add a line there can
// stand in for a node).
func (p *parser) knownHosts(key string) string {
	path, ok := p.get(key)
	if !ok {
		p.fail("%s: required with PVE_SSH_KEY_FILE: a known_hosts file with the nodes' host keys pinned "+
			"(ssh-keyscan NODE >> FILE, after checking the fingerprints on each node); keys are never trusted on first use", key)
		return ""
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		p.fail("%s: %v", key, pathless(err))
		return ""
	case !fi.Mode().IsRegular():
		p.fail("%s: %s is not a regular file", key, path)
		return ""
	case fi.Mode().Perm()&0o022 != 0:
		p.fail("%s: %s is writable by group or others (mode %04o), who could pin their own key for a node; run chmod 644 %s",
			key, path, fi.Mode().Perm(), path)
		return ""
	}
	if _, err := knownhosts.New(path); err != nil {
		p.fail("%s: %v", key, err)
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		p.fail("%s: %v", key, pathless(err))
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return path
		}
	}
	p.fail("%s: %s holds no host key; pin each node's with ssh-keyscan NODE >> %s after checking its fingerprint", key, path, path)
	return ""
}

// sshHosts reads node=host[:port] pairs.
func (p *parser) sshHosts(key string, port int) map[string]string {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		node, addr, found := strings.Cut(item, "=")
		node, addr = strings.TrimSpace(node), strings.TrimSpace(addr)
		switch {
		case !found || addr == "":
			p.fail("%s: %q is not NODE=HOST[:PORT] (e.g. pve1=10.0.0.1:22,pve2=10.0.0.2)", key, item)
			continue
		case !pveid.ValidNode(node):
			p.fail("%s: %q is not a node name (letters, digits and inner hyphens)", key, node)
			continue
		}
		hp, err := hostPort(addr, port)
		if err != nil {
			p.fail("%s: %s: %q %v (HOST, HOST:PORT or [IPv6]:PORT)", key, node, addr, err)
			continue
		}
		out[node] = hp
	}
	return out
}

func hostPort(addr string, port int) (string, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		// no port: a host name, an IPv4 or a bare IPv6 address
		host, ps = strings.Trim(addr, "[]"), strconv.Itoa(port)
	}
	if n, err := strconv.Atoi(ps); err != nil || n < 1 || n > 65535 {
		return "", errors.New("has a bad port")
	}
	if host == "" || strings.ContainsAny(host, " /@?#") || strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return "", errors.New("is not a host")
	}
	return net.JoinHostPort(host, ps), nil
}
