package httpserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// refused waits until the server stops accepting connections.
func (e *env) refused(t *testing.T) {
	t.Helper()
	simtest.Eventually(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", e.addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
}

func TestGracefulShutdownLetsCallsFinish(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{speed: 1000})
	p := newProgressRecorder()
	cs := e.mustConnect(aliceToken, p.options())
	idle := e.mustConnect(bobToken, nil) // an idle session with its event stream open
	out := startSlowCall(t, cs)
	waitFirst(t, p)

	e.cancel() // what SIGTERM does in main
	simtest.Eventually(t, "shutdown to begin", func() bool { return e.srv.closing.Load() })
	// While the call runs, new calls and health checks get 503.
	if resp, body := e.raw("GET", HealthPath, nil, ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("healthz during shutdown: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.raw("GET", ReadyPath, nil, ""); resp.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(body, "shutting down") {
		t.Errorf("readyz during shutdown: %d %s", resp.StatusCode, body)
	}
	if _, err := idle.ListTools(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "Service Unavailable") {
		t.Errorf("a new call during shutdown: %v", err)
	}
	select {
	case err := <-e.served:
		t.Fatalf("Serve returned %v before the running call finished", err)
	default:
	}
	e.sim.Advance(time.Hour) // the task ends
	res := <-out
	if res.IsError || !strings.Contains(resultText(res), "OK") {
		t.Fatalf("running call during shutdown: %s\n%s", resultText(res), e.logs.String())
	}
	e.refused(t)
	e.stop() // Serve returns nil
	if e.sessions() != 0 {
		t.Errorf("%d sessions left open", e.sessions())
	}
}

// TestShutdownCancelsLongCalls: a call that outlasts the shutdown timeout is
// cancelled and answers with its task's UPID, written before the server
// closes; a new call meanwhile gets 503.
func TestShutdownCancelsLongCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{speed: 1000, http: config.HTTPConfig{ShutdownTimeout: 500 * time.Millisecond}})
	p := newProgressRecorder()
	cs := e.mustConnect(aliceToken, p.options())
	sid := e.openRaw(bobToken)
	out := startSlowCall(t, cs)
	waitFirst(t, p)
	start := time.Now()
	e.cancel() // the task never ends
	simtest.Eventually(t, "shutdown to begin", func() bool { return e.srv.closing.Load() })
	resp, body := e.raw("POST", Endpoint, withSession(bobToken, sid), listToolsBody)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, `"id":2`) {
		t.Errorf("a new call during shutdown: %d %s", resp.StatusCode, body)
	}
	res := <-out
	text := resultText(res)
	if !res.IsError || strings.Contains(text, "protocol error") || !strings.Contains(text, "UPID:pve1:") {
		t.Errorf("call cut by shutdown: %s", text)
	}
	e.stop() // Serve returns nil
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "cancelled the calls still running") || strings.Contains(logs, "shutdown timed out") {
		t.Errorf("shutdown log:\n%s", logs)
	}
}

// TestShutdownIsBounded: a handler that ignores cancellation does not hold
// the exit.
func TestShutdownIsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{ShutdownTimeout: 100 * time.Millisecond}})
	release := make(chan struct{})
	defer close(release)
	mcp.AddTool(e.srv.mcp, &mcp.Tool{Name: "test_stubborn", Description: "Ignores cancellation."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			select {
			case <-release:
			case <-time.After(time.Minute):
			}
			return &mcp.CallToolResult{}, nil, nil
		})
	cs := e.mustConnect(aliceToken, nil)
	go cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "test_stubborn", Arguments: map[string]any{}})
	simtest.Eventually(t, "the call to run", func() bool { return e.srv.calls.count() == 1 })
	start := time.Now()
	e.stop()
	if took := time.Since(start); took > answerGrace+sessionCloseGrace+5*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	if !strings.Contains(e.logs.String(), "did not answer in time") {
		t.Error("the stubborn call not logged")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	e := newEnv(t, envOpts{http: config.HTTPConfig{TLSCert: certFile, TLSKey: keyFile}, rootTLS: &tls.Config{RootCAs: pool}})
	if !strings.HasPrefix(e.url, "https://") {
		t.Fatal(e.url)
	}
	cs := e.mustConnect(aliceToken, nil)
	if res, text := call(t, cs, "pve_version", map[string]any{}); res.IsError {
		t.Fatalf("version over TLS: %s", text)
	}
	// Plain HTTP to the TLS port gets nowhere.
	resp, err := http.Post("http://"+e.addr+Endpoint, "application/json", strings.NewReader(initializeBody))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP served on the TLS port")
		}
	}
	if _, err := New(e.srv.mcp, &config.HTTPConfig{TLSCert: certFile, TLSKey: certFile}, nil); err == nil {
		t.Error("a certificate as key accepted")
	}
}
