package pve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// APIError is a non-2xx answer from Proxmox. Proxmox puts the first line of
// the error in the HTTP reason phrase; newer versions also send the whole
// text as "message", and parameter failures list "errors" per parameter.
type APIError struct {
	Method, Path string
	Status       int               // HTTP status
	Reason       string            // reason phrase from the status line
	Message      string            // JSON "message" (trimmed), may be empty
	Errors       map[string]string // JSON "errors" (400)
	// Hint is what to check after a 401; empty means the API token.
	Hint string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "proxmox: %s %s: %d ", e.Method, e.Path, e.Status)
	text := e.text()
	switch {
	case e.Status == http.StatusUnauthorized:
		if !strings.Contains(strings.ToLower(text), "authentication fail") {
			text = "authentication failed (" + text + ")"
		}
		b.WriteString(text)
		hint := e.Hint
		if hint == "" {
			hint = "check the API token ID and secret"
		}
		b.WriteString(": " + hint)
	case e.Status == http.StatusForbidden:
		b.WriteString(text)
		b.WriteString(" (missing privilege; a token with privilege separation needs its own ACL entry, not only its user's)")
	default:
		b.WriteString(text)
	}
	if len(e.Errors) > 0 {
		keys := make([]string, 0, len(e.Errors))
		for k := range e.Errors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(oneLine(k) + ": " + oneLine(e.Errors[k]))
		}
	}
	if hint := statusHint(e.Status); hint != "" {
		b.WriteString(" (" + hint + ")")
	}
	return b.String()
}

// text is the best one-line description: the full message when there is one
// (the reason phrase is only its first line), else the reason phrase.
func (e *APIError) text() string {
	t := e.Message
	if t == "" {
		t = e.Reason
	}
	if t == "" {
		t = http.StatusText(e.Status)
	}
	if t == "" {
		t = "error"
	}
	return oneLine(strings.ReplaceAll(t, "\n", " ; "))
}

// oneLine keeps server text on one line of printable characters: no line
// breaks or terminal escapes reach a log or a model.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func statusHint(status int) string {
	switch status {
	case 501:
		return "endpoint not implemented by this Proxmox VE version"
	case 595:
		return "the Proxmox cluster proxy could not reach the target node; the request did not run"
	case 596, 597, 599:
		return "the Proxmox cluster proxy lost the target node; a write may or may not have run"
	}
	return ""
}

func (e *APIError) contains(subs ...string) bool {
	t := strings.ToLower(e.Message + "\n" + e.Reason)
	for _, s := range subs {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

func asAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports whether Proxmox said the object does not exist. Proxmox
// signals this with a 500 and a text, not a 404; it also means "not on this
// node" when the guest lives elsewhere in the cluster.
func IsNotFound(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	if e.Status == http.StatusNotFound {
		return true
	}
	return e.Status == http.StatusInternalServerError &&
		e.contains("does not exist", "unable to find configuration file", "no such")
}

// IsPermission reports a 403: the token lacks a privilege.
func IsPermission(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.Status == http.StatusForbidden
}

// IsAuth reports a 401: the token ID or secret is wrong, or the token expired.
func IsAuth(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.Status == http.StatusUnauthorized
}

// IsLocked reports a lock conflict (a config lock timeout or a guest lock such
// as "VM is locked (backup)"); retrying later may succeed.
func IsLocked(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.Status == http.StatusInternalServerError && e.contains("got timeout", " is locked (")
}

// IsProxyFailure reports the cluster proxy's transport codes (595 connect
// failed, 596/597 connection lost, 599 garbled answer).
func IsProxyFailure(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	switch e.Status {
	case 595, 596, 597, 599:
		return true
	}
	return false
}

// newAPIError builds an APIError from the status line and whatever body came
// back; the body may be empty, JSON, HTML or plain text.
func newAPIError(method, path string, resp *http.Response, body []byte, redact func(string) string) *APIError {
	e := &APIError{Method: method, Path: path, Status: resp.StatusCode}
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	if i := strings.IndexAny(reason, "\r\n"); i >= 0 {
		reason = reason[:i]
	}
	e.Reason = redact(reason)
	var env struct {
		Message string                     `json:"message"`
		Errors  map[string]json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Message = redact(strings.TrimSpace(env.Message))
		for k, raw := range env.Errors {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				s = string(raw)
			}
			if e.Errors == nil {
				e.Errors = make(map[string]string, len(env.Errors))
			}
			e.Errors[redact(k)] = redact(strings.TrimSpace(s))
		}
	}
	return e
}
