package tools

import (
	"strings"
	"testing"
)

// A read answered with the wrong shape is an error naming the request and
// what came back, never an empty list or object passed off as the answer.
func TestReadsRefuseTheWrongShape(t *testing.T) {
	cases := []struct {
		tool  string
		args  map[string]any
		route string // "METHOD path" answered with data
		data  string
		want  string // "" = the tool succeeds
	}{
		{"pve_list_nodes", nil, "GET /nodes", `null`, "GET /nodes answered null where a list was expected"},
		{"pve_list_nodes", nil, "GET /nodes", `{"node":"pve1"}`, `answered an object {"node":"pve1"} where a list was expected`},
		{"pve_list_nodes", nil, "GET /nodes", `"str"`, `answered a string "str" where a list`},
		{"pve_list_nodes", nil, "GET /nodes", `[{"node":"pve1"},null]`, "answered null as item 1 where a list of objects was expected"},
		{"pve_list_nodes", nil, "GET /nodes", `[]`, ""},
		{"pve_list_nodes", nil, "GET /nodes", `[{"node":"pve1","status":"online"}]`, ""},
		{"pve_node_status", map[string]any{"node": "pve1"}, "GET /nodes/pve1/status", `null`, "GET /nodes/pve1/status answered null where an object was expected"},
		{"pve_node_status", map[string]any{"node": "pve1"}, "GET /nodes/pve1/status", `[]`, "answered a list [] where an object"},
		{"pve_node_status", map[string]any{"node": "pve1"}, "GET /nodes/pve1/status", `"str"`, `answered a string "str" where an object`},
		{"pve_node_status", map[string]any{"node": "pve1"}, "GET /nodes/pve1/status", `{}`, ""},
		{"pve_vm_status", map[string]any{"node": "pve1", "vmid": 100}, "GET /nodes/pve1/qemu/100/status/current", `42`, "answered a number 42 where an object"},
		{"pve_list_network", map[string]any{"node": "pve1"}, "GET /nodes/pve1/network", `null`, "GET /nodes/pve1/network answered null where a list was expected"},
		{"pve_list_network", map[string]any{"node": "pve1"}, "GET /nodes/pve1/network", `[{"iface":"vmbr0"}],"changes":"+auto vmbr1"`, ""},
		{"pve_version", nil, "GET /version", `{}`, "GET /version answered {}"},
		{"pve_version", nil, "GET /version", `{"version":""}`, "which holds no version major.minor"},
	}
	for _, tc := range cases {
		e := newEnv(t, envOpts{})
		e.fake.routes[tc.route] = tc.data
		res, text := e.call(t, tc.tool, tc.args)
		switch {
		case tc.want == "" && res.IsError:
			t.Errorf("%s answered %s: failed: %s", tc.tool, tc.data, text)
		case tc.want != "" && (!res.IsError || !strings.Contains(text, tc.want)):
			t.Errorf("%s answered %s: error %v %q, want %q", tc.tool, tc.data, res.IsError, text, tc.want)
		}
	}
}
