package fidelity

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// binary is the proxmox-mcp-server built from the parent module.
var binary string

func TestMain(m *testing.M) {
	if bin := os.Getenv("FIDELITY_BIN"); bin != "" { // built by .ci/fidelity.sh
		binary = bin
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "fidelity-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "proxmox-mcp-server")
	// Built inside the parent module, with its own go.mod and dependencies.
	build := exec.Command("go", "build", "-o", binary, "./cmd/proxmox-mcp-server")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "fidelity: building the server:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// simEnv is one running `sim` command: what it printed, and an HTTP client
// that pins its certificate by the printed fingerprint.
type simEnv struct {
	Host        string // https://127.0.0.1:port
	TokenID     string
	TokenSecret string
	RootPW      string
	HTTP        *http.Client
	requests    *atomic.Int64
}

// countingTransport counts the requests a library sends (the operations of
// the session).
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// startSim runs the sim command over HTTPS on a free loopback port and reads
// the PROXMOX_* lines, the fingerprint and the ticket-login line it prints.
func startSim(t *testing.T, extra ...string) *simEnv {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"sim", "--listen", addr, "--speed", "0.02"}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	env := map[string]string{}
	fingerprint, rootPW := "", ""
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(20 * time.Second)
	for (env["PROXMOX_TOKEN_SECRET"] == "" || fingerprint == "" || rootPW == "") && time.Now().Before(deadline) && lines.Scan() {
		line := lines.Text()
		if fp, ok := strings.CutPrefix(line, "# TLS certificate SHA-256 fingerprint: "); ok {
			fingerprint = fp
		}
		if pw, ok := strings.CutPrefix(line, "# ticket login: root@pam / "); ok {
			rootPW = strings.TrimSpace(pw)
		}
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(k, "PROXMOX_") {
			env[k] = strings.Trim(v, "'")
		}
	}
	go func() {
		for lines.Scan() {
		}
	}()
	if env["PROXMOX_HOST"] != "https://"+addr || fingerprint == "" || rootPW == "" {
		t.Fatalf("sim printed %v, fingerprint %q, root password %q", env, fingerprint, rootPW)
	}
	tlsConf := &tls.Config{
		InsecureSkipVerify: true, // self-signed; pinned by fingerprint below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !strings.EqualFold(colonHex(cs.PeerCertificates[0].Raw), fingerprint) {
				return fmt.Errorf("certificate does not match the fingerprint the sim printed")
			}
			return nil
		},
	}
	n := &atomic.Int64{}
	return &simEnv{
		Host:        env["PROXMOX_HOST"],
		TokenID:     env["PROXMOX_TOKEN_ID"],
		TokenSecret: env["PROXMOX_TOKEN_SECRET"],
		RootPW:      rootPW,
		requests:    n,
		HTTP: &http.Client{Timeout: 30 * time.Second, Transport: countingTransport{
			next: &http.Transport{TLSClientConfig: tlsConf}, n: n}},
	}
}

// colonHex is a certificate's SHA-256 fingerprint as Proxmox prints it.
func colonHex(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
