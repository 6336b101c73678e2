// Package pve is a small client for the Proxmox VE REST API (/api2/json):
// token authentication, typed errors, careful retries, and a task waiter.
package pve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Options configures a Client. Give either an API token (TokenID and
// TokenSecret) or a user's password (Username and Password: ticket login).
type Options struct {
	BaseURL     string // "https://host:8006" (no /api2/json; the client appends it)
	TokenID     string // USER@REALM!TOKENID
	TokenSecret string
	// Username (USER@REALM) and Password log in with POST /access/ticket;
	// the ticket is renewed before it expires and after a 401, which a read
	// is sent again after (once) and a write is not (it may have run).
	Username, Password string
	InsecureTLS        bool
	// CAFile is a PEM file of CA certificates trusted for this client only
	// (instead of the system roots), e.g. the cluster's pve-root-ca.pem.
	CAFile string
	// Fingerprint pins the server certificate by its SHA-256 fingerprint in
	// Proxmox's colon-hex form; a matching self-signed certificate is accepted.
	Fingerprint    string
	RequestTimeout time.Duration // per HTTP request; 0 -> 30s
	Logger         *slog.Logger  // may be nil; never log secrets
	HTTPClient     *http.Client  // optional (tests)
	RetryBase      time.Duration // GET retry backoff base; 0 -> 250ms
	MaxRetries     int           // GET retries after the first attempt; 0 -> 3; negative -> none
	// Clock and Sleep replace the real clock for task waits: a plan's twin
	// (a simulator in process) runs on simulated time. nil: the real ones.
	Clock func() time.Time
	Sleep func(context.Context, time.Duration) error
}

const (
	defaultTimeout   = 30 * time.Second
	defaultRetryBase = 250 * time.Millisecond
	defaultRetries   = 3
	maxRetryDelay    = 5 * time.Second
	// Proxmox closes idle keep-alive connections after 5 s; reusing one just
	// as it closes fails the request, so drop ours first.
	idleConnTimeout = 4 * time.Second
	maxBodyBytes    = 64 << 20
	apiPrefix       = "/api2/json"
)

// Client talks to one Proxmox VE API endpoint. It is safe for concurrent use.
type Client struct {
	base       string // scheme://host[:port][/prefix]/api2/json
	auth       string // token Authorization header; empty with tickets
	authid     string // USER@REALM!TOKEN or USER@REALM: who Proxmox sees
	secret     string // token secret or password, scrubbed from errors
	tickets    *ticketAuth
	caFile     bool // PROXMOX_CA_FILE given: named in certificate errors
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error // nil: a real timer (tests replay task waits)
	hc         *http.Client
	timeout    time.Duration
	retryBase  time.Duration
	maxRetries int
	log        *slog.Logger

	mu      sync.Mutex
	version *Version // cached GET /version

	history taskHistory // finished tasks' durations, for WaitTask's estimate
	bodies  bodyPool    // buffers large lists are read into, given back by List.Release
}

// New checks the options and builds a client. It does not contact Proxmox.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("proxmox: base URL must look like https://host:8006")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("proxmox: base URL must not contain credentials, a query or a fragment")
	}
	c := &Client{
		base:       strings.TrimSuffix(strings.TrimSuffix(u.String(), "/"), apiPrefix) + apiPrefix,
		hc:         o.HTTPClient,
		now:        time.Now,
		timeout:    o.RequestTimeout,
		retryBase:  o.RetryBase,
		maxRetries: o.MaxRetries,
		log:        o.Logger,
		caFile:     o.CAFile != "",
		sleep:      o.Sleep,
	}
	if o.Clock != nil {
		c.now = o.Clock
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.retryBase <= 0 {
		c.retryBase = defaultRetryBase
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if err := c.setAuth(o); err != nil {
		return nil, err
	}
	tc, err := tlsConfig(o)
	if err != nil {
		return nil, err
	}
	if c.hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = tc
		t.IdleConnTimeout = idleConnTimeout
		t.MaxIdleConnsPerHost = 8
		c.hc = &http.Client{Transport: t}
	}
	return c, nil
}

// setAuth checks the credentials. Error texts never echo them: a secret
// pasted into the wrong variable must not end up in a log.
func (c *Client) setAuth(o Options) error {
	token := o.TokenID != "" || o.TokenSecret != ""
	user := o.Username != "" || o.Password != ""
	switch {
	case token && user:
		return errors.New("proxmox: give either an API token or a user name and password, not both")
	case user:
		if !pveid.ValidUserID(o.Username) {
			return errors.New("proxmox: user name must look like USER@REALM, e.g. root@pam")
		}
		if o.Password == "" {
			return errors.New("proxmox: password must not be empty")
		}
		c.secret, c.authid = o.Password, o.Username
		c.tickets = newTicketAuth(o.Username, o.Password)
		return nil
	}
	if !pveid.ValidTokenID(o.TokenID) {
		return errors.New("proxmox: API token ID must look like USER@REALM!TOKENNAME")
	}
	if o.TokenSecret == "" || strings.ContainsFunc(o.TokenSecret, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("proxmox: API token secret must be non-empty, without spaces or control characters")
	}
	c.auth = "PVEAPIToken=" + o.TokenID + "=" + o.TokenSecret
	c.secret, c.authid = o.TokenSecret, o.TokenID
	return nil
}

// AuthID is the user or API token the client acts as: Proxmox records it
// as the user of the tasks it starts.
func (c *Client) AuthID() string { return c.authid }

// CloseIdleConnections closes idle keep-alive connections (tests, shutdown).
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Get reads path with q as the query string; out receives the unwrapped data.
func (c *Client) Get(ctx context.Context, path string, q url.Values, out any) error {
	_, err := c.do(ctx, http.MethodGet, path, q, out)
	return err
}

// GetPage is Get for lists that carry a "total" next to the data.
func (c *Client) GetPage(ctx context.Context, path string, q url.Values, out any) (total int, err error) {
	return c.do(ctx, http.MethodGet, path, q, out)
}

// Post sends form as an urlencoded body. Never retried.
func (c *Client) Post(ctx context.Context, path string, form url.Values, out any) error {
	_, err := c.do(ctx, http.MethodPost, path, form, out)
	return err
}

// Put sends form as an urlencoded body. Never retried.
func (c *Client) Put(ctx context.Context, path string, form url.Values, out any) error {
	_, err := c.do(ctx, http.MethodPut, path, form, out)
	return err
}

// Delete sends q as the query string (Proxmox rejects a body). Never retried.
func (c *Client) Delete(ctx context.Context, path string, q url.Values, out any) error {
	_, err := c.do(ctx, http.MethodDelete, path, q, out)
	return err
}

func (c *Client) do(ctx context.Context, method, path string, params url.Values, out any) (int, error) {
	if err := checkPath(path); err != nil {
		return 0, fmt.Errorf("proxmox: %s: %w", method, err)
	}
	attempts := 1
	if method == http.MethodGet {
		attempts += c.maxRetries // only reads are safe to repeat
	}
	relogged := false
	for n := 0; ; n++ {
		total, retry, gen, err := c.once(ctx, method, path, params, out)
		if err != nil && gen != 0 && method != http.MethodGet && IsAuth(err) {
			// The write was sent; a 401 relayed from another node or a
			// proxy can come after it ran, so it is not sent again. A new
			// login now serves the requests that follow.
			c.tickets.invalidate(gen)
			e, _ := asAPIError(err)
			lerr := ctx.Err()
			if lerr == nil {
				c.log.DebugContext(ctx, "proxmox ticket refused after a write; logging in again", "method", method, "path", path)
				_, lerr = c.creds(ctx)
			}
			return 0, reauthUnsure(method, path, e, lerr)
		}
		if err != nil && gen != 0 && !relogged && IsAuth(err) && ctx.Err() == nil {
			// A read is safe to send again, once, with a new ticket.
			relogged = true
			c.tickets.invalidate(gen)
			c.log.DebugContext(ctx, "proxmox ticket refused; logging in again", "method", method, "path", path)
			n--
			continue
		}
		if err == nil || !retry || n+1 >= attempts {
			return total, err
		}
		delay := backoff(c.retryBase, n)
		c.log.DebugContext(ctx, "proxmox request failed, retrying",
			"method", method, "path", path, "attempt", n+1, "delay", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("%w; gave up retrying: %w", err, ctx.Err())
		case <-t.C:
		}
	}
}

// once performs one HTTP exchange. retry reports whether a failure is
// transient (network error, gateway or cluster-proxy status); gen is the
// ticket generation sent (0 with a token).
func (c *Client) once(parent context.Context, method, path string, params url.Values, out any) (total int, retry bool, gen uint64, err error) {
	var creds ticketCreds
	if c.tickets != nil {
		if creds, err = c.creds(parent); err != nil {
			// Nothing was sent; a GET may try again after a passing network
			// error, as after any failed read.
			retry := method == http.MethodGet && parent.Err() == nil && !errors.Is(err, ErrTFARequired) && !IsAuth(err) &&
				!permanentTransportError(err) && !errors.Is(err, context.DeadlineExceeded)
			return 0, retry, 0, err
		}
		gen = creds.gen
	}
	total, retry, err = c.exchange(parent, method, path, params, out, creds)
	return total, retry, gen, err
}

func (c *Client) exchange(parent context.Context, method, path string, params url.Values, out any, creds ticketCreds) (total int, retry bool, err error) {
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()

	target := c.base + path
	var body io.Reader
	form := method == http.MethodPost || method == http.MethodPut
	if form {
		// A strings.Reader gives a known Content-Length: Proxmox refuses chunked bodies.
		body = strings.NewReader(params.Encode())
	} else if len(params) > 0 {
		target += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, false, fmt.Errorf("proxmox: %s %s: build request: %w", method, path, c.scrub(err))
	}
	if creds.ticket != "" {
		req.Header.Set("Cookie", cookie(creds.ticket))
		if method != http.MethodGet {
			req.Header.Set("CSRFPreventionToken", creds.csrf)
		}
	} else {
		req.Header.Set("Authorization", c.auth)
	}
	req.Header.Set("Accept", "application/json")
	if form {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, ctx.Err() == nil && !permanentTransportError(err), unsure(method, path, err, c.transportError(parent, ctx, method, path, err))
	}
	defer resp.Body.Close()
	var pooled *[]byte // a List is read into a recycled buffer (List.Release)
	var raw []byte
	if _, ok := out.(*List); ok {
		pooled = c.bodies.get()
		raw = *pooled
	}
	raw, err = readBody(resp, raw)
	if err != nil {
		return 0, ctx.Err() == nil, unsure(method, path, err, c.transportError(parent, ctx, method, path, err))
	}
	c.log.DebugContext(ctx, "proxmox request", "method", method, "path", path,
		"status", resp.StatusCode, "duration", time.Since(start))
	if len(raw) > maxBodyBytes {
		err := fmt.Errorf("proxmox: %s %s: %d response larger than %d bytes", method, path, resp.StatusCode, maxBodyBytes)
		if method != http.MethodGet {
			ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
			err = &UnknownOutcomeError{Method: method, Path: path, Accepted: ok, Err: err}
		}
		return 0, false, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newAPIError(method, path, resp, raw, c.scrubString)
		if c.tickets != nil && e.Status == http.StatusUnauthorized {
			e.Hint = "check the user name and password"
		}
		switch resp.StatusCode {
		case 502, 503, 504, 595, 596:
			return 0, true, unsureStatus(e)
		}
		return 0, false, unsureStatus(e)
	}
	total, err = decodeEnvelope(raw, out)
	if err != nil {
		var serr *ShapeError
		if errors.As(err, &serr) {
			serr.Method, serr.Path, serr.Got = method, path, c.scrubString(serr.Got)
		} else {
			err = fmt.Errorf("proxmox: %s %s: %d response (%s): %w", method, path,
				resp.StatusCode, resp.Header.Get("Content-Type"), c.scrub(err))
		}
		if method != http.MethodGet {
			err = &UnknownOutcomeError{Method: method, Path: path, Accepted: true, Err: err}
		}
		return 0, false, err
	}
	if pooled != nil {
		*pooled = raw
		out.(*List).adopt(pooled, &c.bodies)
	}
	return total, false, nil
}

// backoff is base*2^n, capped.
func backoff(base time.Duration, n int) time.Duration {
	if n >= 16 || base<<n > maxRetryDelay {
		return maxRetryDelay
	}
	return base << n
}

// permanentTransportError: a certificate the client refuses or a host name
// that does not resolve will not fix itself within a few retries.
func permanentTransportError(err error) bool {
	var (
		verr *tls.CertificateVerificationError
		ferr *FingerprintMismatchError
		dns  *net.DNSError
	)
	return errors.As(err, &verr) || errors.As(err, &ferr) || (errors.As(err, &dns) && dns.IsNotFound)
}

// transportError reports a network failure without the URL (url.Error would
// repeat it) and says when the per-request timeout, not the caller, ended it.
func (c *Client) transportError(parent, ctx context.Context, method, path string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	err = c.hintTransport(err)
	if parent.Err() == nil && ctx.Err() != nil {
		return fmt.Errorf("proxmox: %s %s: no answer within %v: %w", method, path, c.timeout, c.scrub(err))
	}
	return fmt.Errorf("proxmox: %s %s: %w", method, path, c.scrub(err))
}

// scrub guarantees no credential (token secret, password, ticket, CSRF
// token) appears in an error text, however a lower layer formats it.
func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	if s := err.Error(); c.scrubString(s) != s {
		return errors.New(c.scrubString(s))
	}
	return err
}

func (c *Client) scrubString(s string) string {
	secrets := []string{c.secret}
	if c.tickets != nil {
		secrets = c.tickets.secrets()
	}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		s = strings.ReplaceAll(s, sec, "[redacted]")
		// Escaped forms too: a cookie or form echoed back.
		if q := url.QueryEscape(sec); q != sec {
			s = strings.ReplaceAll(s, q, "[redacted]")
		}
	}
	return s
}
