package pvesim

import (
	"fmt"
	"sort"
	"strings"
)

// apiError is an error answer. The status line's reason phrase is the first
// line of msg; the JSON body carries the whole msg (with a trailing newline,
// as Perl's die leaves it) and, for 400, the per-parameter errors.
type apiError struct {
	status int
	msg    string
	errs   map[string]string
	// empty sends no body at all (401, 595/596 proxy failures).
	empty bool
	// rawBody replaces the JSON body (transport-level 501s send text).
	rawBody string
}

func (e *apiError) Error() string {
	if len(e.errs) == 0 {
		return fmt.Sprintf("%d %s", e.status, strings.TrimSpace(e.msg))
	}
	keys := make([]string, 0, len(e.errs))
	for k := range e.errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.status, strings.TrimSpace(e.msg))
	for _, k := range keys {
		fmt.Fprintf(&b, " %s: %s", k, strings.TrimSpace(e.errs[k]))
	}
	return b.String()
}

// reason is the status line's reason phrase: the first line of the message.
func (e *apiError) reason() string {
	line, _, _ := strings.Cut(e.msg, "\n")
	return line
}

// failf is a handler die: HTTP 500 with the text.
func failf(format string, args ...any) error {
	return &apiError{status: 500, msg: fmt.Sprintf(format, args...) + "\n"}
}

// paramError is 400 Parameter verification failed. with the errors map.
func paramError(errs map[string]string) error {
	return &apiError{status: 400, msg: "Parameter verification failed.\n", errs: errs}
}

func paramErr(name, text string) error { return paramError(map[string]string{name: text}) }

// permError is the 403 of a failed privilege check.
func permError(path string, privs ...string) error {
	return &apiError{status: 403, msg: fmt.Sprintf("Permission check failed (%s, %s)\n", path, strings.Join(privs, "|"))}
}

func permErrorText(text string) error {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return &apiError{status: 403, msg: text}
}

func notImplemented(method, relPath string) error {
	return &apiError{status: 501, msg: fmt.Sprintf("Method '%s %s' not implemented", method, relPath)}
}

func noConfig(kind guestKind, nodeName string, vmid int) error {
	return failf("Configuration file '%s' does not exist", kind.confPath(nodeName, vmid))
}
