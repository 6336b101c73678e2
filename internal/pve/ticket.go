package pve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Ticket lifetimes. Proxmox accepts a ticket for 2 h; like proxmoxer we renew
// after 1 h (posting the ticket itself as the password), and a ticket older
// than usable is no longer trusted: the client logs in with the password.
const (
	ticketRenewAfter = time.Hour
	ticketUsableFor  = 2*time.Hour - 10*time.Minute
)

// ErrTFARequired means the account needs a second factor to log in, which a
// server without a human at the keyboard cannot give.
var ErrTFARequired = errors.New("the account needs a second factor (TFA) to log in, which this client cannot answer; " +
	"use an API token instead, or an account without TFA")

// ticketAuth holds a user's credentials and the current ticket. Logins are
// serialized by sem (a context-aware mutex) so that concurrent requests wait
// for one login instead of each starting their own.
type ticketAuth struct {
	user, password string
	sem            chan struct{}

	mu     sync.Mutex
	ticket string
	csrf   string
	got    time.Time // local time the ticket was issued
	gen    uint64    // increments with every new ticket
	old    []string  // earlier tickets, kept only to scrub them from errors
	// renewAfter holds off renewal after one failed (Proxmox unreachable),
	// so each request does not wait on /access/ticket in turn.
	renewAfter time.Time
}

// renewRetry is how long to use the current ticket after a failed renewal.
const renewRetry = time.Minute

func (t *ticketAuth) holdRenewal(until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.renewAfter = until
}

func (t *ticketAuth) renewalHeld(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return now.Before(t.renewAfter)
}

// ticketCreds is what one request sends.
type ticketCreds struct {
	ticket, csrf string
	gen          uint64
}

func newTicketAuth(user, password string) *ticketAuth {
	return &ticketAuth{user: user, password: password, sem: make(chan struct{}, 1)}
}

func (t *ticketAuth) snapshot() (ticketCreds, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return ticketCreds{t.ticket, t.csrf, t.gen}, t.got
}

func (t *ticketAuth) store(ticket, csrf string, now time.Time) ticketCreds {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ticket != "" {
		t.old = append(t.old, t.ticket, t.csrf)
		if len(t.old) > 8 {
			t.old = t.old[len(t.old)-8:]
		}
	}
	t.ticket, t.csrf, t.got = ticket, csrf, now
	t.gen++
	return ticketCreds{ticket, csrf, t.gen}
}

// invalidate drops the ticket a request was sent with after Proxmox refused
// it, unless another request has already replaced it.
func (t *ticketAuth) invalidate(gen uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen == gen && t.ticket != "" {
		t.old = append(t.old, t.ticket, t.csrf)
		t.ticket, t.csrf = "", ""
	}
}

// secrets lists every string that must never appear in an error or log.
func (t *ticketAuth) secrets() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string{t.password, t.ticket, t.csrf}, t.old...)
}

// creds returns a ticket fresh enough to send, logging in or renewing first
// when needed.
func (c *Client) creds(ctx context.Context) (ticketCreds, error) {
	t := c.tickets
	cur, got := t.snapshot()
	age := c.now().Sub(got)
	if cur.ticket != "" && (age < ticketRenewAfter || age < ticketUsableFor && t.renewalHeld(c.now())) {
		return cur, nil
	}
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return ticketCreds{}, fmt.Errorf("proxmox: wait for login: %w", ctx.Err())
	}
	defer func() { <-t.sem }()

	// Another request may have logged in while this one waited.
	cur, got = t.snapshot()
	age = c.now().Sub(got)
	if cur.ticket != "" && age < ticketRenewAfter {
		return cur, nil
	}
	if cur.ticket != "" && age < ticketUsableFor {
		ticket, csrf, err := c.login(ctx, cur.ticket)
		if err == nil {
			c.log.DebugContext(ctx, "proxmox ticket renewed", "user", t.user)
			return t.store(ticket, csrf, c.now()), nil
		}
		if !IsAuth(err) || ctx.Err() != nil {
			// The old ticket is still valid for a while: use it, renew later.
			t.holdRenewal(c.now().Add(renewRetry))
			c.log.WarnContext(ctx, "proxmox ticket renewal failed; using the current ticket", "user", t.user, "err", err)
			return cur, nil
		}
		c.log.DebugContext(ctx, "proxmox ticket no longer accepted; logging in again", "user", t.user)
	}
	ticket, csrf, err := c.login(ctx, t.password)
	if err != nil {
		return ticketCreds{}, err
	}
	c.log.DebugContext(ctx, "proxmox login", "user", t.user)
	return t.store(ticket, csrf, c.now()), nil
}

// login posts /access/ticket with the password (or a valid ticket, to renew)
// and returns the new ticket and CSRF prevention token.
func (c *Client) login(parent context.Context, password string) (ticket, csrf string, err error) {
	const path = "/access/ticket"
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	form := url.Values{"username": {c.tickets.user}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", fmt.Errorf("proxmox: login as %s: build request: %w", c.tickets.user, c.scrub(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("login as %s: %w", c.tickets.user, c.transportError(parent, ctx, "POST", path, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", fmt.Errorf("login as %s: %w", c.tickets.user, c.transportError(parent, ctx, "POST", path, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newAPIError("POST", path, resp, raw, c.scrubString)
		e.Hint = "check the user name and password"
		return "", "", fmt.Errorf("login as %s: %w", c.tickets.user, e)
	}
	var data struct {
		Ticket  string `json:"ticket"`
		CSRF    string `json:"CSRFPreventionToken"`
		NeedTFA Flag   `json:"NeedTFA"` // 1; older code "1" or true
	}
	if _, err := decodeEnvelope(raw, &data); err != nil {
		return "", "", fmt.Errorf("proxmox: login as %s: %d response: %w", c.tickets.user, resp.StatusCode, c.scrub(err))
	}
	if bool(data.NeedTFA) || strings.Contains(data.Ticket, "!tfa!") {
		return "", "", fmt.Errorf("proxmox: login as %s: %w", c.tickets.user, ErrTFARequired)
	}
	if data.Ticket == "" || data.CSRF == "" || !validHeaderValue(data.Ticket) || !validHeaderValue(data.CSRF) {
		return "", "", fmt.Errorf("proxmox: login as %s: the answer holds no usable ticket and CSRF token", c.tickets.user)
	}
	return data.Ticket, data.CSRF, nil
}

func validHeaderValue(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r >= 0x7f })
}

// cookie is the PVEAuthCookie header value; the ticket is escaped because its
// base64 signature may hold '+', '/' and '='.
func cookie(ticket string) string {
	return "PVEAuthCookie=" + url.QueryEscape(ticket)
}
