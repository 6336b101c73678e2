package pvesim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a manual clock for deterministic task timing.
type fakeClock struct{ t time.Time }

func (f *fakeClock) now() time.Time { return f.t }

// env is a simulator behind a real HTTP server.
type env struct {
	t     *testing.T
	sim   *Sim
	srv   *httptest.Server
	token string // Authorization header value
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.Clock == nil {
		fc := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		o.Clock = fc.now
	}
	if o.Tokens == nil {
		o.Tokens = map[string]string{"root@pam!mcp": "secret-1"}
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close()
		srv.CloseClientConnections()
		srv.Close()
		srv.Client().CloseIdleConnections()
	})
	id, secret := s.DefaultToken()
	return &env{t: t, sim: s, srv: srv, token: "PVEAPIToken=" + id + "=" + secret}
}

// resp is a decoded answer.
type resp struct {
	status  int
	reason  string
	raw     string
	data    any
	errors  map[string]string
	message string
	total   int
	changes string
	header  http.Header
}

func (e *env) do(method, path string, params url.Values) resp {
	return e.doAuth(method, path, params, e.token)
}

func (e *env) doAuth(method, path string, params url.Values, auth string) resp {
	e.t.Helper()
	u := e.srv.URL + "/api2/json" + path
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
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) resp {
	e.t.Helper()
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, raw: string(b), header: res.Header}
	r.reason = strings.TrimSpace(strings.TrimPrefix(res.Status, http.StatusText(0)))
	if _, after, ok := strings.Cut(res.Status, " "); ok {
		r.reason = after
	}
	var env struct {
		Data    any               `json:"data"`
		Errors  map[string]string `json:"errors"`
		Message string            `json:"message"`
		Total   int               `json:"total"`
		Changes string            `json:"changes"`
	}
	if json.Unmarshal(b, &env) == nil {
		r.data, r.errors, r.message, r.total, r.changes = env.Data, env.Errors, env.Message, env.Total, env.Changes
	}
	return r
}

func (e *env) ok(method, path string, params url.Values) any {
	e.t.Helper()
	r := e.do(method, path, params)
	if r.status != 200 {
		e.t.Fatalf("%s %s %v: %d %s %s", method, path, params, r.status, r.reason, r.raw)
	}
	return r.data
}

// advance moves simulated time.
func (e *env) advance(d time.Duration) { e.sim.Advance(d) }

// waitTask advances time until the task stops and returns its exit status.
func (e *env) waitTask(upid string) string {
	e.t.Helper()
	node := strings.Split(upid, ":")[1]
	for i := 0; i < 2000; i++ {
		st := e.ok("GET", "/nodes/"+node+"/tasks/"+url.PathEscape(upid)+"/status", nil).(map[string]any)
		if st["status"] == "stopped" {
			return st["exitstatus"].(string)
		}
		e.advance(time.Second)
	}
	e.t.Fatalf("task %s never stopped", upid)
	return ""
}

func (e *env) taskLog(upid string) []string {
	e.t.Helper()
	node := strings.Split(upid, ":")[1]
	data := e.ok("GET", "/nodes/"+node+"/tasks/"+url.PathEscape(upid)+"/log", url.Values{"limit": {"0"}}).([]any)
	var out []string
	for _, l := range data {
		out = append(out, l.(map[string]any)["t"].(string))
	}
	return out
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// keysOf lists a JSON object's keys, sorted.
func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
