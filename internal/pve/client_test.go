package pve

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAuthHeaderAndAccept(t *testing.T) {
	var got, accept, path string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got, accept, path = r.Header.Get("Authorization"), r.Header.Get("Accept"), r.URL.Path
		writeJSON(w, `{"data":null}`)
	})
	if err := c.Get(context.Background(), "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	if want := "PVEAPIToken=" + testTokenID + "=" + testSecret; got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
	if accept != "application/json" {
		t.Errorf("Accept = %q", accept)
	}
	if path != "/api2/json/version" {
		t.Errorf("path = %q", path)
	}
}

func TestBaseURLForms(t *testing.T) {
	for _, suffix := range []string{"", "/", "/api2/json", "/api2/json/"} {
		var path string
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			path = r.URL.Path
			writeJSON(w, `{"data":null}`)
		}, func(o *Options) { o.BaseURL += suffix })
		if err := c.Get(context.Background(), "/version", nil, nil); err != nil {
			t.Fatal(err)
		}
		if path != "/api2/json/version" {
			t.Errorf("base %q: path = %q", suffix, path)
		}
	}
}

type seenRequest struct {
	method, contentType, body, query string
	contentLength                    int64
	transferEncoding                 []string
}

func recordRequest(r *http.Request) seenRequest {
	b, _ := io.ReadAll(r.Body)
	return seenRequest{r.Method, r.Header.Get("Content-Type"), string(b), r.URL.RawQuery, r.ContentLength, r.TransferEncoding}
}

func TestWritesSendFormBodies(t *testing.T) {
	var seen seenRequest
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		seen = recordRequest(r)
		writeJSON(w, `{"data":"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam!mcp:"}`)
	})
	form := url.Values{"onboot": {Bool(true)}, "protection": {Bool(false)}, "name": {"web 1&2"}}
	want := "name=web+1%262&onboot=1&protection=0"
	for _, call := range []struct {
		method string
		do     func(context.Context, string, url.Values, any) error
	}{{"POST", c.Post}, {"PUT", c.Put}} {
		var upid string
		if err := call.do(context.Background(), "/nodes/pve1/qemu/100/config", form, &upid); err != nil {
			t.Fatalf("%s: %v", call.method, err)
		}
		if seen.method != call.method || seen.body != want || seen.query != "" {
			t.Errorf("%s: saw %+v, want body %q", call.method, seen, want)
		}
		if seen.contentType != "application/x-www-form-urlencoded" {
			t.Errorf("%s: Content-Type = %q", call.method, seen.contentType)
		}
		if seen.contentLength != int64(len(want)) || len(seen.transferEncoding) != 0 {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v", call.method, seen.contentLength, seen.transferEncoding)
		}
		if !strings.HasPrefix(upid, "UPID:pve1:") {
			t.Errorf("%s: data = %q", call.method, upid)
		}
	}
	// An empty form still has a Content-Length (0), never a chunked body.
	if err := c.Post(context.Background(), "/nodes/pve1/qemu/100/status/start", nil, nil); err != nil {
		t.Fatal(err)
	}
	if seen.contentLength != 0 || len(seen.transferEncoding) != 0 || seen.body != "" {
		t.Errorf("empty POST: %+v", seen)
	}
}

func TestReadsAndDeletesUseQueryString(t *testing.T) {
	var seen seenRequest
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		seen = recordRequest(r)
		writeJSON(w, `{"data":null}`)
	})
	q := url.Values{"purge": {Bool(true)}, "destroy-unreferenced-disks": {"1"}}
	if err := c.Delete(context.Background(), "/nodes/pve1/qemu/100", q, nil); err != nil {
		t.Fatal(err)
	}
	if seen.method != "DELETE" || seen.query != "destroy-unreferenced-disks=1&purge=1" || seen.body != "" || seen.contentLength > 0 {
		t.Errorf("DELETE: %+v", seen)
	}
	if err := c.Get(context.Background(), "/cluster/resources", url.Values{"type": {"vm"}}, nil); err != nil {
		t.Fatal(err)
	}
	if seen.method != "GET" || seen.query != "type=vm" || seen.body != "" || seen.contentLength > 0 {
		t.Errorf("GET: %+v", seen)
	}
}

func TestEnvelopeUnwrapping(t *testing.T) {
	body := `{"data":[{"vmid":100,"name":"web"},{"vmid":101,"name":"db"}],"total":7}`
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, body) })
	ctx := context.Background()

	var items []struct {
		VMID int    `json:"vmid"`
		Name string `json:"name"`
	}
	total, err := c.GetPage(ctx, "/cluster/resources", nil, &items)
	if err != nil {
		t.Fatal(err)
	}
	if total != 7 || len(items) != 2 || items[1].Name != "db" {
		t.Errorf("total %d items %+v", total, items)
	}
	var raw json.RawMessage
	if err := c.Get(ctx, "/cluster/resources", nil, &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), `[{"vmid":100`) {
		t.Errorf("raw = %s", raw)
	}
	if err := c.Get(ctx, "/cluster/resources", nil, nil); err != nil {
		t.Errorf("nil out: %v", err)
	}
}

func TestEnvelopeEdgeCases(t *testing.T) {
	cases := []struct {
		name, body string
		wantTotal  int
		wantData   string
		wantErr    string
	}{
		{"null data", `{"data":null}`, 0, "null", ""},
		{"no data", `{}`, 0, "", ""},
		{"string number", `{"data":"101"}`, 0, `"101"`, ""},
		{"total as string", `{"data":[],"total":"3"}`, 3, `[]`, ""},
		{"no total", `{"data":[1]}`, 0, `[1]`, ""},
		{"html", `<html><body>Bad Gateway</body></html>`, 0, "", "not a JSON object"},
		{"empty", ``, 0, "", "not a JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, tc.body)
			})
			var raw json.RawMessage
			total, err := c.GetPage(context.Background(), "/x", nil, &raw)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if _, ok := asAPIError(err); ok {
					t.Errorf("a 200 with a bad body is not an APIError: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.wantTotal || string(raw) != tc.wantData {
				t.Errorf("total %d data %s", total, raw)
			}
		})
	}
}

func TestDecodeErrorIsWrapped(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, `{"data":{"vmid":"abc"}}`) })
	var out struct {
		VMID int `json:"vmid"`
	}
	err := c.Get(context.Background(), "/x", nil, &out)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "GET /x") {
		t.Errorf("err = %v", err)
	}
}

func TestUnsafePathsRejectedWithoutRequest(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1); writeJSON(w, `{"data":null}`) })
	bad := []string{
		"", "nodes/pve1", "/nodes/../access", "/nodes/pve1/..", "/nodes/%2e%2e/x", "/nodes/%2E%2E",
		"/nodes/pve1?x=1", "/nodes/pve1%3Fx=1", "/nodes/pve1#frag", "/nodes//qemu", "/nodes/a\\b",
		"/nodes/pve1\n", "/nodes/pve1%0aX", "/nodes/pve1\x00", "/nodes/pve1\x7f", "/nodes/%zz",
		Path("nodes", "..", "qemu"), Path("nodes", "", "qemu"), Path("nodes", "pve1?x"),
	}
	ctx := context.Background()
	for _, p := range bad {
		for _, call := range []func() error{
			func() error { return c.Get(ctx, p, nil, nil) },
			func() error { return c.Post(ctx, p, nil, nil) },
			func() error { return c.Put(ctx, p, nil, nil) },
			func() error { return c.Delete(ctx, p, nil, nil) },
		} {
			if err := call(); err == nil || !strings.Contains(err.Error(), "unsafe API path") {
				t.Errorf("path %q: err = %v", p, err)
			}
		}
	}
	if n.Load() != 0 {
		t.Errorf("server saw %d requests", n.Load())
	}
}

func TestPathEscapesSegments(t *testing.T) {
	cases := map[string]string{
		Path("nodes", "pve1", "qemu", "100", "status", "current"):                                        "/nodes/pve1/qemu/100/status/current",
		Path("nodes", "pve1", "storage", "local", "content", "local:iso/deb 12.iso"):                     "/nodes/pve1/storage/local/content/local:iso%2Fdeb%2012.iso",
		Path("nodes", "pve1", "tasks", "UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam!mcp:"): "/nodes/pve1/tasks/UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam%21mcp:",
		Path(): "",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("Path = %q, want %q", got, want)
		}
	}
	var raw string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { raw = r.URL.EscapedPath(); writeJSON(w, `{"data":null}`) })
	p := Path("nodes", "pve1", "storage", "local", "content", "local:iso/deb 12.iso")
	if err := c.Get(context.Background(), p, nil, nil); err != nil {
		t.Fatal(err)
	}
	if raw != "/api2/json"+p {
		t.Errorf("server saw %q", raw)
	}
	if Bool(true) != "1" || Bool(false) != "0" {
		t.Error("Bool")
	}
}

func TestNewValidatesOptions(t *testing.T) {
	good := Options{BaseURL: "https://pve.example:8006", TokenID: testTokenID, TokenSecret: testSecret}
	if _, err := New(good); err != nil {
		t.Fatalf("good options: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Options)
	}{
		{"no base", func(o *Options) { o.BaseURL = "" }},
		{"ftp", func(o *Options) { o.BaseURL = "ftp://pve:21" }},
		{"no host", func(o *Options) { o.BaseURL = "https://" }},
		{"userinfo", func(o *Options) { o.BaseURL = "https://root:" + testSecret + "@pve:8006" }},
		{"query", func(o *Options) { o.BaseURL = "https://pve:8006/?x=1" }},
		{"token without name", func(o *Options) { o.TokenID = "root@pam" }},
		{"secret pasted into id", func(o *Options) { o.TokenID = testTokenID + "=" + testSecret }},
		{"empty secret", func(o *Options) { o.TokenSecret = "" }},
		{"secret with newline", func(o *Options) { o.TokenSecret = testSecret + "\nX-Evil: 1" }},
	} {
		o := good
		tc.mod(&o)
		_, err := New(o)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Errorf("%s: error leaks the secret: %v", tc.name, err)
		}
	}
}

func TestTLSVerification(t *testing.T) {
	srv := httptestTLS(t)
	o := Options{BaseURL: srv, TokenID: testTokenID, TokenSecret: testSecret, MaxRetries: -1}
	strict, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer strict.CloseIdleConnections()
	err = strict.Get(context.Background(), "/version", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "certificate") || strings.Contains(err.Error(), testSecret) {
		t.Errorf("verifying client: err = %v", err)
	}
	o.InsecureTLS = true
	lax, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer lax.CloseIdleConnections()
	if err := lax.Get(context.Background(), "/version", nil, nil); err != nil {
		t.Errorf("insecure client: %v", err)
	}
}

func TestIdleConnTimeoutBelowProxmoxKeepAlive(t *testing.T) {
	c, err := New(Options{BaseURL: "https://pve:8006", TokenID: testTokenID, TokenSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok || tr.IdleConnTimeout <= 0 || tr.IdleConnTimeout >= 5*time.Second || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("transport %+v", tr)
	}
}

func TestDefaults(t *testing.T) {
	c, err := New(Options{BaseURL: "https://pve:8006", TokenID: testTokenID, TokenSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.timeout, c.retryBase, c.maxRetries}
	if diff := cmp.Diff([]any{30 * time.Second, 250 * time.Millisecond, 3}, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}
