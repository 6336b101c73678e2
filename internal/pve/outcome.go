package pve

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// UnknownOutcomeError is a write that was sent and whose answer does not
// tell whether it ran: the connection broke, a gateway answered in
// Proxmox's place, the cluster proxy lost the node, the answer could not be
// read, or Proxmox refused the ticket once the write was on its way.
// Sending it again blindly could run it twice, so the caller must look
// first. It is the one way this package says "may have run".
type UnknownOutcomeError struct {
	Method, Path string
	// Accepted: Proxmox answered 2xx, so the write most likely ran, but
	// its answer could not be used.
	Accepted bool
	// Reauth: Proxmox (or a proxy in front) answered 401 once the write was
	// sent; the client logged in again for later requests and did not
	// resend this one. Relogin is that login's error, nil when it worked.
	Reauth  bool
	Relogin error
	Err     error
	// stated: Err already says that a write may or may not have run (the
	// 596/597/599 hint), so it is not said twice.
	stated bool
}

func (e *UnknownOutcomeError) Error() string {
	check := "check " + checkAdvice(e.Path) + " before repeating it"
	switch {
	case e.Accepted:
		return fmt.Sprintf("%v (Proxmox accepted the %s, so it may have been carried out; %s)", e.Err, e.Method, check)
	case e.stated:
		return fmt.Sprintf("%v: %s", e.Err, check)
	}
	return fmt.Sprintf("%v (the %s may or may not have been carried out; %s)", e.Err, e.Method, check)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// IsUnknownOutcome reports whether err is a write that may have run. Other
// error types that mean it (a task whose end could not be learnt) join in
// with a method OutcomeUnknown() bool that returns true.
func IsUnknownOutcome(err error) bool {
	var m interface{ OutcomeUnknown() bool }
	return errors.As(err, &m) && m.OutcomeUnknown()
}

// OutcomeUnknown is true: see IsUnknownOutcome.
func (e *UnknownOutcomeError) OutcomeUnknown() bool { return true }

// checkAdvice names what to read to learn whether a write to path ran.
func checkAdvice(path string) string {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(seg) < 2 || seg[0] != "nodes" {
		return "GET " + path
	}
	tasks := "the tasks of node " + seg[1] + " (GET /nodes/" + seg[1] + "/tasks)"
	if len(seg) >= 4 && (seg[2] == "qemu" || seg[2] == "lxc") {
		sub := "status/current"
		if len(seg) >= 5 && (seg[4] == "config" || seg[4] == "snapshot") {
			sub = seg[4]
		}
		return tasks + " and GET /" + strings.Join(seg[:4], "/") + "/" + sub
	}
	return tasks + " and the state of " + path
}

// unsure marks a failed write as one that may have run: the connection
// broke after the request could have reached Proxmox. A failed dial, a
// refused certificate or an unknown host sent nothing.
func unsure(method, path string, cause, err error) error {
	var op *net.OpError
	if method == http.MethodGet || (errors.As(cause, &op) && op.Op == "dial") || permanentTransportError(cause) {
		return err
	}
	return &UnknownOutcomeError{Method: method, Path: path, Err: err}
}

// unsureStatus marks a write's error status as one that may have run: a
// gateway's 502/503/504 (Proxmox sends none of them itself) or the cluster
// proxy losing the node (596, 597, 599) can come after the write reached
// the handler. 595 (no connection to the node) and Proxmox's own statuses
// are answers about the request and stay as they are.
func unsureStatus(e *APIError) error {
	if e.Method == http.MethodGet {
		return e
	}
	switch e.Status {
	case 502, 503, 504:
		return &UnknownOutcomeError{Method: e.Method, Path: e.Path, Err: e}
	case 596, 597, 599:
		return &UnknownOutcomeError{Method: e.Method, Path: e.Path, Err: e, stated: true}
	}
	return e
}

// reauthUnsure is a write refused with 401 once sent: Proxmox checks the
// ticket first, but the 401 may come from the cluster proxy's target node
// or from a proxy in front, after the write ran. The client logs in again
// for the requests that follow and does not resend this one. The refusal is
// quoted, not wrapped: after a good login IsAuth must not send the caller
// to check credentials that work.
func reauthUnsure(method, path string, refused *APIError, relogin error) error {
	err := fmt.Errorf("proxmox: %s %s: Proxmox answered 401 (%s) after the %s was sent; the client logged in again but did not resend it",
		method, path, refused.text(), method)
	if relogin != nil {
		err = fmt.Errorf("proxmox: %s %s: Proxmox answered 401 (%s) after the %s was sent; the client did not resend it, and logging in again failed: %w",
			method, path, refused.text(), method, relogin)
	}
	return &UnknownOutcomeError{Method: method, Path: path, Err: err, Reauth: true, Relogin: relogin}
}
