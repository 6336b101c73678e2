package pvesim

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// syncBuffer is a goroutine-safe output sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runSim(t *testing.T, rc RunConfig) (env map[string]string, out string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	rc.Stdout, rc.Stderr = &stdout, &stderr
	go func() { done <- Run(ctx, rc) }()
	re := regexp.MustCompile(`(?m)^export (\w+)='?([^'\n]*)'?$`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(stdout.String(), "PROXMOX_TOKEN_SECRET") {
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("Run returned early: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	env = map[string]string{}
	for _, m := range re.FindAllStringSubmatch(stdout.String(), -1) {
		env[m[1]] = m[2]
	}
	return env, stdout.String(), func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestRunPlainHTTP(t *testing.T) {
	env, _, stop := runSim(t, RunConfig{PlainHTTP: true, Listen: "127.0.0.1:0",
		Options: Options{Tokens: map[string]string{"root@pam!ci": "abc"}, Speed: 0.01}})
	defer stop()
	if env["PROXMOX_TOKEN_ID"] != "root@pam!ci" || env["PROXMOX_TOKEN_SECRET"] != "abc" || !strings.HasPrefix(env["PROXMOX_HOST"], "http://127.0.0.1:") {
		t.Fatalf("env: %v", env)
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("GET", env["PROXMOX_HOST"]+"/api2/json/version", nil)
	req.Header.Set("Authorization", "PVEAPIToken=root@pam!ci=abc")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"version":"9.1.3"`) {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
}

func TestRunTLS(t *testing.T) {
	env, out, stop := runSim(t, RunConfig{Listen: "127.0.0.1:0", Options: Options{Schema: "8.4"}})
	defer stop()
	if !strings.HasPrefix(env["PROXMOX_HOST"], "https://") || env["PROXMOX_TOKEN_ID"] != "root@pam!mcp" || len(env["PROXMOX_TOKEN_SECRET"]) != 36 {
		t.Fatalf("env: %v", env)
	}
	m := regexp.MustCompile(`(?m)^export PROXMOX_TLS_FINGERPRINT=((?:[0-9A-F]{2}:){31}[0-9A-F]{2})$`).FindStringSubmatch(out)
	if m == nil || env["PROXMOX_TLS_FINGERPRINT"] != m[1] {
		t.Fatalf("no fingerprint in %q", out)
	}
	if strings.Contains(out, "PROXMOX_INSECURE_TLS") {
		t.Errorf("the simulator suggests turning verification off:\n%s", out)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	client := &http.Client{Transport: tr}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("GET", env["PROXMOX_HOST"]+"/api2/json/nodes/pve1/qemu/4242/config", nil)
	req.Header.Set("Authorization", "PVEAPIToken="+env["PROXMOX_TOKEN_ID"]+"="+env["PROXMOX_TOKEN_SECRET"])
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 500 || res.Status != "500 Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist" {
		t.Fatalf("status line over TLS: %q", res.Status)
	}
	if got := pve.CertFingerprint(res.TLS.PeerCertificates[0].Raw); got != m[1] {
		t.Fatalf("fingerprint %s, printed %s", got, m[1])
	}
}

func TestRunErrors(t *testing.T) {
	for _, rc := range []RunConfig{
		{Options: Options{Schema: "6.4"}, PlainHTTP: true, Listen: "127.0.0.1:0"},
		{Faults: []Fault{{Kind: "explode"}}, PlainHTTP: true, Listen: "127.0.0.1:0"},
		{PlainHTTP: true, Listen: "256.0.0.1:0"},
	} {
		if err := Run(context.Background(), rc); err == nil {
			t.Errorf("%+v: no error", rc)
		}
	}
}

func TestSeedLargeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("large seed")
	}
	e := newEnv(t, Options{Guests: 2000, Nodes: 5})
	vms := e.ok("GET", "/cluster/resources", vals("type", "vm")).([]any)
	if len(vms) != 2007 {
		t.Fatalf("%d guests", len(vms))
	}
}

func BenchmarkSeed10000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s, err := New(Options{Guests: 10000, Tokens: map[string]string{"root@pam!bench": "x"}})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkClusterResources10000 serves /cluster/resources of a 10 000-guest
// cluster, the guests only and everything, to an admin token and to a
// user who sees one pool (the ACL walk per guest differs).
func BenchmarkClusterResources10000(b *testing.B) {
	s, err := New(Options{Guests: 10000, Tokens: map[string]string{"root@pam!bench": "x"},
		Users: map[string]string{"root@pam": "pw", "ops@pve": "pw"}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.acl.st.SetACL("/pool/prod", "PVEVMAdmin", "ops@pve", true); err != nil {
		b.Fatal(err)
	}
	ticket, _, err := s.acl.st.Login("ops@pve", "pw")
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	for _, bc := range []struct{ name, query, cookie, token string }{
		{"vm", "?type=vm", "", "PVEAPIToken=root@pam!bench=x"},
		{"all", "", "", "PVEAPIToken=root@pam!bench=x"},
		{"pool-user", "", ticket, ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest("GET", "/api2/json/cluster/resources"+bc.query, nil)
				if bc.token != "" {
					req.Header.Set("Authorization", bc.token)
				} else {
					req.AddCookie(&http.Cookie{Name: "PVEAuthCookie", Value: bc.cookie})
				}
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				if w.status != 200 {
					b.Fatal(w.status)
				}
			}
		})
	}
}

type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }

// BenchmarkNew builds the standard three-node simulator, as `sim` and
// `demo` do at start.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		s, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
