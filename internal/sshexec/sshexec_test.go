package sshexec

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

type fixture struct {
	sim    *pvesim.Sim
	sshd   *pvesim.SSHServer
	runner *Runner
	known  string
	signer ssh.Signer
}

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// start serves a simulator's sshd that authorizes one key, and a runner
// with that key and the node keys pinned.
func start(t *testing.T) *fixture {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{Speed: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	signer := newSigner(t)
	sshd, err := sim.ServeSSH(pvesim.SSHOptions{AuthorizedKeys: func() ([]ssh.PublicKey, error) {
		return []ssh.PublicKey{signer.PublicKey()}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sshd.Close() })
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, []byte(sshd.KnownHosts()), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{User: "root", Signer: signer, KnownHosts: known})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sim: sim, sshd: sshd, runner: r, known: known, signer: signer}
}

func (f *fixture) target(node string) Target {
	for _, n := range f.sshd.Nodes() {
		if n.Node == node {
			return Target{Node: node, Addr: n.Addr}
		}
	}
	panic("no node " + node)
}

var limits = Limits{Timeout: 10 * time.Second, MaxOutput: 1 << 16}

func TestRun(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	res, err := f.runner.Run(ctx, f.target("pve1"), "pct exec 200 -- hostname", limits)
	if err != nil || res.Stdout != "proxy\n" || res.ExitCode != 0 {
		t.Fatalf("hostname: %+v, %v", res, err)
	}
	res, err = f.runner.Run(ctx, f.target("pve1"), "pct exec 200 -- false", limits)
	if err != nil || res.ExitCode != 1 {
		t.Fatalf("false: %+v, %v", res, err)
	}
	// A quoted word with shell syntax arrives as one argument.
	res, err = f.runner.Run(ctx, f.target("pve1"), "pct exec 200 -- cat 'x; reboot'", limits)
	if err != nil || res.ExitCode != 1 || res.Stderr != "cat: x; reboot: No such file or directory\n" {
		t.Fatalf("cat 'x; reboot': %+v, %v", res, err)
	}
	res, err = f.runner.Run(ctx, f.target("pve1"), "pct exec 200 -- nosuch", limits)
	if err != nil || res.ExitCode != 127 || !strings.Contains(res.Stderr, `Failed to exec "nosuch"`) {
		t.Fatalf("nosuch: %+v, %v", res, err)
	}
	// pct's own refusals: another node's container, a stopped one.
	res, _ = f.runner.Run(ctx, f.target("pve1"), "pct exec 201 -- true", limits)
	if res.ExitCode != 255 || res.Stderr != "Configuration file 'nodes/pve1/lxc/201.conf' does not exist\n" {
		t.Fatalf("201 on pve1: %+v", res)
	}
	res, _ = f.runner.Run(ctx, f.target("pve2"), "pct exec 201 -- true", limits)
	if res.ExitCode != 255 || res.Stderr != "container '201' not running!\n" {
		t.Fatalf("201 stopped: %+v", res)
	}
	if got := f.sshd.Commands(); len(got) != 6 || got[5] != "pve2: pct exec 201 -- true" {
		t.Fatalf("commands: %q", got)
	}
}

func TestOutputBound(t *testing.T) {
	f := start(t)
	res, err := f.runner.Run(context.Background(), f.target("pve1"), "pct exec 200 -- cat /etc/hosts", Limits{Timeout: 10 * time.Second, MaxOutput: 10})
	if err != nil || len(res.Stdout) != 10 || res.StdoutCut == 0 || !strings.HasPrefix("127.0.0.1\tlocalhost", res.Stdout) {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestTimeout(t *testing.T) {
	f := start(t)
	// sleep 1000 takes 10 s at speed 0.01
	start := time.Now()
	_, err := f.runner.Run(context.Background(), f.target("pve1"), "pct exec 200 -- sleep 1000", Limits{Timeout: 300 * time.Millisecond, MaxOutput: 100})
	var e *Error
	if !errors.As(err, &e) || e.Kind != TimedOut || !e.Ran || !strings.Contains(err.Error(), "may still be running") {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestHostKeys(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	tgt := f.target("pve1")
	// another host's key pinned for pve1's address: a changed key
	other := newSigner(t).PublicKey()
	changed := filepath.Join(t.TempDir(), "known_hosts")
	host, port, _ := net.SplitHostPort(tgt.Addr)
	line := "[" + host + "]:" + port + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other)))
	if err := os.WriteFile(changed, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{User: "root", Signer: f.signer, KnownHosts: changed})
	if err != nil {
		t.Fatal(err)
	}
	var e *Error
	_, err = r.Run(ctx, tgt, "pct exec 200 -- true", limits)
	if !errors.As(err, &e) || e.Kind != ChangedKey || !strings.Contains(err.Error(), "does not match the one pinned in PVE_SSH_KNOWN_HOSTS") {
		t.Fatalf("changed: %v", err)
	}
	// an empty known_hosts: unknown host, with the fingerprint and ssh-keyscan
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r, _ = New(Options{User: "root", Signer: f.signer, KnownHosts: empty})
	_, err = r.Run(ctx, tgt, "pct exec 200 -- true", limits)
	fp := ssh.FingerprintSHA256(f.sshd.Nodes()[0].HostKey)
	if !errors.As(err, &e) || e.Kind != UnknownHost || !strings.Contains(err.Error(), "is not in PVE_SSH_KNOWN_HOSTS") ||
		!strings.Contains(err.Error(), "ssh-keyscan -p "+port+" "+host) || !strings.Contains(err.Error(), fp) {
		t.Fatalf("unknown: %v", err)
	}
	if n := len(f.sshd.Commands()); n != 0 {
		t.Fatalf("%d commands ran", n)
	}
}

func TestAuthAndConnect(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	stranger := newSigner(t)
	r, _ := New(Options{User: "root", Signer: stranger, KnownHosts: f.known})
	var e *Error
	_, err := r.Run(ctx, f.target("pve1"), "pct exec 200 -- true", limits)
	if !errors.As(err, &e) || e.Kind != AuthFailed || !strings.Contains(err.Error(), ssh.FingerprintSHA256(stranger.PublicKey())) {
		t.Fatalf("auth: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = f.runner.Run(ctx, Target{Node: "pve9", Addr: addr}, "true", limits)
	if !errors.As(err, &e) || e.Kind != Unreachable || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("refused: %v", err)
	}
}
