package stdio

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Every request gets the start-up error, in a batch too; notifications,
// responses and lines that are not JSON get nothing.
func TestServeStartupError(t *testing.T) {
	in := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`not json`,
		`{"jsonrpc":"2.0","id":7,"result":{}}`,
		`[{"jsonrpc":"2.0","id":"a","method":"tools/list"},{"jsonrpc":"2.0","method":"notifications/x"}]`,
		strings.Repeat("x", startupLineLimit+10),
		`{"jsonrpc":"2.0","id":2,"method":"ping"}`,
	}, "\n") + "\n"
	var out strings.Builder
	cause := errors.New("PROXMOX_HOST: required")
	if err := ServeStartupError(context.Background(), strings.NewReader(in), &out, cause); err != cause {
		t.Fatalf("returned %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("answers:\n%s", out.String())
	}
	for i, id := range []string{`"id":1`, `"id":"a"`, `"id":2`} {
		if !strings.Contains(lines[i], id) || !strings.Contains(lines[i], "cannot start: PROXMOX_HOST: required") {
			t.Errorf("answer %d: %s", i, lines[i])
		}
	}
}
