package pvesim

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The task list filters as PVE/API2/Tasks.pm (7.4 to 9.1) applies them:
// typefilter is an exact type, userfilter a case-insensitive part of the
// user without the token name, since and until bound the start time, and a
// running task's status type is "unknown".
func TestTaskListFilters(t *testing.T) {
	e := newEnv(t, Options{Speed: 1})
	upid := e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
	st := e.ok("GET", "/nodes/pve1/tasks/"+url.PathEscape(upid)+"/status", nil).(map[string]any)
	started := int64(st["starttime"].(float64))
	for _, c := range []struct {
		params []string
		listed bool
	}{
		{[]string{"typefilter", "qmstart"}, true},
		{[]string{"typefilter", "qm"}, false},
		{[]string{"typefilter", "start"}, false},
		{[]string{"userfilter", "ROOT@pam"}, true},
		{[]string{"userfilter", "oot@"}, true},
		{[]string{"userfilter", "mcp"}, false},
		{[]string{"vmid", "101"}, true},
		{[]string{"vmid", "100"}, false},
		{[]string{"since", strconv.FormatInt(started-5, 10)}, true},
		{[]string{"since", strconv.FormatInt(started+60, 10)}, false},
		{[]string{"until", strconv.FormatInt(started-60, 10)}, false},
		{[]string{"statusfilter", "unknown"}, true},
		{[]string{"statusfilter", "ok,error"}, false},
		{[]string{"errors", "1"}, true},
		{[]string{"errors", "1", "statusfilter", "ok"}, true}, // errors wins
	} {
		params := vals(append([]string{"source", "all"}, c.params...)...)
		r := e.do("GET", "/nodes/pve1/tasks", params)
		if r.status != 200 {
			t.Fatalf("%v: %d %s", c.params, r.status, r.raw)
		}
		if got := strings.Contains(r.raw, upid); got != c.listed {
			t.Errorf("%v: listed %v, want %v: %s", c.params, got, c.listed, r.raw)
		}
	}
}
