package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// simAPI is `proxmox-mcp-server sim` run as its own process over HTTPS, and
// a raw Proxmox API client for it that authenticates with the token the
// command prints and pins the certificate by the fingerprint it prints, as
// a Proxmox client library would be set up against it.
type simAPI struct {
	t      *testing.T
	base   string // https://127.0.0.1:port/api2/json
	auth   string
	client *http.Client
}

// apiAnswer is one decoded answer of the API.
type apiAnswer struct {
	Status  int
	Data    any
	Message string
	Errors  map[string]string
	Raw     []byte
}

// startSimAPI runs the sim command (extra flags appended) and waits until it
// printed its environment.
func startSimAPI(t *testing.T, extra ...string) *simAPI {
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
	fingerprint := ""
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(15 * time.Second)
	for (env["PROXMOX_TOKEN_SECRET"] == "" || fingerprint == "") && time.Now().Before(deadline) && lines.Scan() {
		line := lines.Text()
		if fp, ok := strings.CutPrefix(line, "# TLS certificate SHA-256 fingerprint: "); ok {
			fingerprint = fp
		}
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(k, "PROXMOX_") {
			env[k] = strings.Trim(v, "'")
		}
	}
	go func() {
		for lines.Scan() {
		}
	}()
	if env["PROXMOX_HOST"] != "https://"+addr || fingerprint == "" {
		t.Fatalf("sim printed %v, fingerprint %q", env, fingerprint)
	}
	tlsConf := &tls.Config{
		InsecureSkipVerify: true, // self-signed; pinned by fingerprint below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !strings.EqualFold(pve.CertFingerprint(cs.PeerCertificates[0].Raw), fingerprint) {
				return fmt.Errorf("certificate does not match the fingerprint the sim printed")
			}
			return nil
		},
	}
	return &simAPI{
		t:      t,
		base:   env["PROXMOX_HOST"] + "/api2/json",
		auth:   "PVEAPIToken=" + env["PROXMOX_TOKEN_ID"] + "=" + env["PROXMOX_TOKEN_SECRET"],
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConf}},
	}
}

// do sends one request: params go in the query for GET and DELETE, as a
// form body otherwise.
func (a *simAPI) do(method, path string, params url.Values) apiAnswer {
	a.t.Helper()
	u := a.base + path
	var body io.Reader
	if method == "GET" || method == "DELETE" {
		if len(params) > 0 {
			u += "?" + params.Encode()
		}
	} else if params != nil {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Authorization", a.auth)
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	ans := apiAnswer{Status: res.StatusCode, Raw: raw}
	var env struct {
		Data    any               `json:"data"`
		Message string            `json:"message"`
		Errors  map[string]string `json:"errors"`
	}
	if json.Unmarshal(raw, &env) == nil {
		ans.Data, ans.Message, ans.Errors = env.Data, env.Message, env.Errors
	}
	return ans
}

// ok is do that must answer 200.
func (a *simAPI) ok(method, path string, params url.Values) any {
	a.t.Helper()
	ans := a.do(method, path, params)
	if ans.Status != 200 {
		a.t.Fatalf("%s %s %v: %d %s", method, path, params, ans.Status, ans.Raw)
	}
	return ans.Data
}

// waitTask polls a task until it stopped and returns its exitstatus.
func (a *simAPI) waitTask(node, upid string) string {
	a.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		st, _ := a.ok("GET", "/nodes/"+node+"/tasks/"+url.PathEscape(upid)+"/status", nil).(map[string]any)
		if st["status"] == "stopped" {
			exit, _ := st["exitstatus"].(string)
			return exit
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("task %s did not stop", upid)
	return ""
}

// form builds url.Values from key, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
