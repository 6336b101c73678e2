package pve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testUser     = "mcp@pve"
	testPassword = "hunter2-correct-horse"
)

// fakeLogin is a Proxmox stand-in for ticket auth: it issues numbered
// tickets, checks cookie and CSRF token, and records what it saw.
type fakeLogin struct {
	mu       sync.Mutex
	n        int               // tickets issued
	valid    map[string]string // ticket -> csrf
	logins   []string          // password or "ticket:N" per login
	requests []string          // "METHOD path" of API calls that passed auth
	refused  int               // API calls answered 401
	tfa      string            // "flag" or "ticket": answer logins with a TFA challenge
	failAuth int               // the next n API calls get 401 whatever they send
	noRenew  bool              // renewals fail with 596
	// failedRenewals counts renewals refused because of noRenew.
	failedRenewals int
	headers        http.Header // of the last API call
}

func (f *fakeLogin) handler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api2/json")
	if r.Method == "POST" && path == "/access/ticket" {
		_ = r.ParseForm()
		user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
		_, renew := f.valid[pass]
		switch {
		case user != testUser:
		case renew && f.noRenew:
			f.failedRenewals++
			w.WriteHeader(596)
			return
		case renew:
			f.logins = append(f.logins, "ticket")
		case pass == testPassword:
			f.logins = append(f.logins, "password")
		default:
			f.logins = append(f.logins, "bad")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			fmt.Fprint(w, `{"data":null,"message":"authentication failure\n"}`)
			return
		}
		f.n++
		// A real signature is base64 and holds '+', '/' and '='.
		ticket := fmt.Sprintf("PVE:%s:%08X::sig+/%d==", testUser, f.n, f.n)
		csrf := fmt.Sprintf("%08X:csrf%d", f.n, f.n)
		switch f.tfa {
		case "flag":
			writeJSON(w, fmt.Sprintf(`{"data":{"username":%q,"ticket":%q,"CSRFPreventionToken":%q,"NeedTFA":1}}`, user, ticket, csrf))
			return
		case "ticket":
			ticket = "PVE:!tfa!%7B%22totp%22%3Atrue%7D:6790A1B2::c2ln"
		}
		f.valid[ticket] = csrf
		writeJSON(w, fmt.Sprintf(`{"data":{"username":%q,"ticket":%q,"CSRFPreventionToken":%q,"cap":{}}}`, user, ticket, csrf))
		return
	}
	f.headers = r.Header.Clone()
	ck, err := r.Cookie("PVEAuthCookie")
	var ticket string
	if err == nil {
		ticket, _ = url.QueryUnescape(ck.Value)
	}
	csrf, ok := f.valid[ticket]
	if f.failAuth > 0 || !ok || (r.Method != "GET" && r.Header.Get("CSRFPreventionToken") != csrf) {
		if f.failAuth > 0 {
			f.failAuth--
		}
		f.refused++
		w.WriteHeader(401)
		return
	}
	f.requests = append(f.requests, r.Method+" "+path)
	writeJSON(w, `{"data":"done"}`)
}

func (f *fakeLogin) expireAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.valid)
}

func (f *fakeLogin) state() (logins, requests []string, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.logins...), append([]string(nil), f.requests...), f.refused
}

func ticketClient(t *testing.T, f *fakeLogin, mod ...func(*Options)) *Client {
	t.Helper()
	f.valid = map[string]string{}
	return newTestClient(t, f.handler, append([]func(*Options){func(o *Options) {
		o.TokenID, o.TokenSecret = "", ""
		o.Username, o.Password = testUser, testPassword
	}}, mod...)...)
}

func TestTicketLoginCookieAndCSRF(t *testing.T) {
	f := &fakeLogin{}
	c := ticketClient(t, f)
	ctx := context.Background()
	if err := c.Get(ctx, "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	if h := f.headers; h.Get("Authorization") != "" || h.Get("CSRFPreventionToken") != "" {
		t.Errorf("GET headers: Authorization %q, CSRF %q", h.Get("Authorization"), h.Get("CSRFPreventionToken"))
	}
	if got := f.headers.Get("Cookie"); got != "PVEAuthCookie=PVE%3Amcp%40pve%3A00000001%3A%3Asig%2B%2F1%3D%3D" {
		t.Errorf("Cookie = %q", got)
	}
	for _, call := range []func() error{
		func() error { return c.Post(ctx, "/nodes/pve1/qemu/100/status/start", nil, nil) },
		func() error { return c.Put(ctx, "/nodes/pve1/qemu/100/config", url.Values{"cores": {"2"}}, nil) },
		func() error { return c.Delete(ctx, "/nodes/pve1/qemu/100", nil, nil) },
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
		if f.headers.Get("CSRFPreventionToken") != "00000001:csrf1" {
			t.Errorf("write without CSRF token: %v", f.headers)
		}
	}
	logins, reqs, refused := f.state()
	if len(logins) != 1 || logins[0] != "password" || len(reqs) != 4 || refused != 0 {
		t.Errorf("logins %v requests %v refused %d", logins, reqs, refused)
	}
}

func TestTicketRenewal(t *testing.T) {
	f := &fakeLogin{}
	c := ticketClient(t, f)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	step := func(d time.Duration, want ...string) {
		t.Helper()
		now = now.Add(d)
		if err := c.Get(ctx, "/version", nil, nil); err != nil {
			t.Fatalf("after %v: %v", d, err)
		}
		if logins, _, _ := f.state(); strings.Join(logins, ",") != strings.Join(want, ",") {
			t.Fatalf("after %v: logins %v, want %v", d, logins, want)
		}
	}
	step(0, "password")
	step(59*time.Minute, "password")                                 // still fresh
	step(2*time.Minute, "password", "ticket")                        // renewed with the ticket
	step(3*time.Hour, "password", "ticket", "password")              // too old to trust: password
	step(61*time.Minute, "password", "ticket", "password", "ticket") // renewed again
	f.expireAll()                                                    // the server forgot them all: renewal refused, then the password
	step(61*time.Minute, "password", "ticket", "password", "ticket", "bad", "password")
}

func TestTicketRenewalFailureKeepsTicket(t *testing.T) {
	f := &fakeLogin{}
	c := ticketClient(t, f)
	now := time.Now()
	c.now = func() time.Time { return now }
	ctx := context.Background()
	if err := c.Get(ctx, "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	// The login endpoint fails for a moment; the 70-minute-old ticket stays in use.
	f.mu.Lock()
	f.noRenew = true
	f.mu.Unlock()
	now = now.Add(70 * time.Minute)
	if err := c.Get(ctx, "/version", nil, nil); err != nil {
		t.Fatalf("renewal failure broke the request: %v", err)
	}
	if logins, reqs, _ := f.state(); len(logins) != 1 || len(reqs) != 2 {
		t.Errorf("logins %v requests %v", logins, reqs)
	}
	// Renewal is held off for a while instead of being tried before every request.
	for range 3 {
		if err := c.Get(ctx, "/version", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	held := f.failedRenewals
	f.mu.Unlock()
	if held != 1 {
		t.Errorf("%d failed renewals after 4 requests, want 1 (held off)", held)
	}
	now = now.Add(renewRetry + time.Second)
	if err := c.Get(ctx, "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failedRenewals != 2 {
		t.Errorf("renewal not tried again after the hold: %d", f.failedRenewals)
	}
}

func TestTicketReloginOnceAfter401(t *testing.T) {
	f := &fakeLogin{}
	c := ticketClient(t, f, noRetries)
	ctx := context.Background()
	if err := c.Get(ctx, "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	// The server restarted and forgot its tickets: a read gets one 401, a
	// new login and one retry.
	f.expireAll()
	if err := c.Get(ctx, "/nodes", nil, nil); err != nil {
		t.Fatalf("GET after expiry: %v", err)
	}
	logins, reqs, refused := f.state()
	if strings.Join(logins, ",") != "password,password" || refused != 1 || !slices.Contains(reqs, "GET /nodes") {
		t.Errorf("read: logins %v refused %d requests %v", logins, refused, reqs)
	}
	// A write gets a new login too, but is not sent again: it may have run.
	f.expireAll()
	err := c.Post(ctx, "/nodes/pve1/qemu/100/status/start", nil, nil)
	if !IsUnknownOutcome(err) || IsAuth(err) || !strings.Contains(err.Error(), "401") ||
		!strings.Contains(err.Error(), "did not resend it") || !strings.Contains(err.Error(), "GET /nodes/pve1/qemu/100/status/current") {
		t.Errorf("POST after expiry: err = %v", err)
	}
	logins, _, refused = f.state()
	if strings.Join(logins, ",") != "password,password,password" || refused != 2 {
		t.Errorf("write: logins %v refused %d", logins, refused)
	}
	// The new ticket serves the next write without another login.
	if err := c.Post(ctx, "/nodes/pve1/qemu/100/status/start", nil, nil); err != nil {
		t.Fatalf("POST after the new login: %v", err)
	}
	logins, reqs, refused = f.state()
	if n := strings.Count(strings.Join(reqs, "\n"), "POST /nodes/pve1/qemu/100/status/start"); n != 1 || len(logins) != 3 {
		t.Errorf("the write ran %d times, %d logins: %v", n, len(logins), reqs)
	}
	// A 401 that persists after the new login is returned, not looped on.
	f.mu.Lock()
	f.failAuth = 5
	f.mu.Unlock()
	err = c.Get(ctx, "/version", nil, nil)
	if !IsAuth(err) || !strings.Contains(err.Error(), "check the user name and password") {
		t.Errorf("err = %v", err)
	}
	if _, _, refused2 := f.state(); refused2 != refused+2 {
		t.Errorf("%d refused requests, want 2 (one retry)", refused2-refused)
	}
}

func TestTicketBadPassword(t *testing.T) {
	f := &fakeLogin{}
	c := ticketClient(t, f, func(o *Options) { o.Password = "wrong-" + testPassword })
	for _, call := range []func() error{
		func() error { return c.Get(context.Background(), "/version", nil, nil) },
		func() error { return c.Post(context.Background(), "/nodes/pve1/qemu", nil, nil) },
	} {
		err := call()
		if !IsAuth(err) || !strings.Contains(err.Error(), "login as mcp@pve") || !strings.Contains(err.Error(), "check the user name and password") {
			t.Errorf("err = %v", err)
		}
		if strings.Contains(fmt.Sprintf("%v %+v", err, err), testPassword) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
	// No API request was sent, and a bad password is not retried.
	if logins, reqs, refused := f.state(); len(logins) != 2 || len(reqs) != 0 || refused != 0 {
		t.Errorf("logins %v requests %v refused %d", logins, reqs, refused)
	}
}

func TestTicketTFA(t *testing.T) {
	for _, mode := range []string{"flag", "ticket"} {
		f := &fakeLogin{tfa: mode}
		c := ticketClient(t, f)
		err := c.Get(context.Background(), "/version", nil, nil)
		if !errors.Is(err, ErrTFARequired) || !strings.Contains(err.Error(), "second factor") || !strings.Contains(err.Error(), "API token") {
			t.Errorf("%s: err = %v", mode, err)
		}
		if logins, reqs, _ := f.state(); len(logins) != 1 || len(reqs) != 0 {
			t.Errorf("%s: logins %v requests %v", mode, logins, reqs)
		}
	}
}

func TestTicketConcurrentRequestsShareOneLogin(t *testing.T) {
	f := &fakeLogin{}
	c := ticketClient(t, f)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() { errs <- c.Get(context.Background(), "/version", nil, nil) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if logins, reqs, _ := f.state(); len(logins) != 1 || len(reqs) != 20 {
		t.Errorf("logins %v, %d requests", logins, len(reqs))
	}
}

func TestTicketLoginWaitHonoursContext(t *testing.T) {
	f := &fakeLogin{}
	c := ticketClient(t, f)
	c.tickets.sem <- struct{}{} // a login in progress elsewhere
	defer func() { <-c.tickets.sem }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Get(ctx, "/version", nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}

func TestTicketSecretsNeverInErrors(t *testing.T) {
	// A broken proxy that echoes cookie and CSRF token in its error.
	f := &fakeLogin{valid: map[string]string{}}
	echo := func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/access/ticket") {
			f.handler(w, r)
			return
		}
		ck, _ := r.Cookie("PVEAuthCookie")
		msg := ck.Value + " " + r.Header.Get("CSRFPreventionToken")
		if v, err := url.QueryUnescape(ck.Value); err == nil {
			msg += " " + v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		fmt.Fprintf(w, `{"data":null,"message":%q}`, msg)
	}
	c := newTestClient(t, echo, func(o *Options) {
		o.TokenID, o.TokenSecret = "", ""
		o.Username, o.Password = testUser, testPassword
	})
	for _, err := range []error{
		c.Get(context.Background(), "/version", nil, nil),
		c.Post(context.Background(), "/nodes/pve1/qemu", nil, nil),
	} {
		if err == nil {
			t.Fatal("no error")
		}
		text := err.Error()
		if strings.Contains(text, "sig+/") || strings.Contains(text, "sig%2B") || strings.Contains(text, "csrf1") || strings.Contains(text, testPassword) {
			t.Errorf("error leaks a credential: %s", text)
		}
	}
}

func TestNewValidatesUserOptions(t *testing.T) {
	good := Options{BaseURL: "https://pve:8006", Username: testUser, Password: testPassword}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Options){
		"no realm":       func(o *Options) { o.Username = "root" },
		"token as user":  func(o *Options) { o.Username = "root@pam!mcp" },
		"empty password": func(o *Options) { o.Password = "" },
		"both":           func(o *Options) { o.TokenID, o.TokenSecret = testTokenID, testSecret },
		"password only":  func(o *Options) { o.Username = "" },
	} {
		o := good
		mod(&o)
		_, err := New(o)
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), testPassword) {
			t.Errorf("%s: leaks the password: %v", name, err)
		}
	}
}

func TestTicketLoginOverPinnedTLS(t *testing.T) {
	f := &fakeLogin{valid: map[string]string{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.handler))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	o := Options{BaseURL: srv.URL, Username: testUser, Password: testPassword, RetryBase: time.Millisecond,
		Fingerprint: CertFingerprint(srv.Certificate().Raw)}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if err := c.Post(context.Background(), "/nodes/pve1/qemu", nil, nil); err != nil {
		t.Fatalf("pinned: %v", err)
	}
	// A wrong pin fails the login at once, without retries, naming both prints.
	o.Fingerprint = strings.Repeat("00:", 31) + "00"
	bad, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.CloseIdleConnections()
	var dials atomic.Int32
	tr := bad.hc.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	err = bad.Get(context.Background(), "/version", nil, nil)
	var fe *FingerprintMismatchError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "login as mcp@pve") || dials.Load() != 1 {
		t.Errorf("err = %v after %d connections", err, dials.Load())
	}
}
