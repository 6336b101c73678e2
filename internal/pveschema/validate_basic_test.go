package pveschema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

type vcase struct {
	name         string
	method, path string
	params       map[string]string
	want         map[string]string // nil: valid
}

func runValidateCases(t *testing.T, version string, cases []vcase) {
	t.Helper()
	s := mustLoad(t, version)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, pathParams, ok := s.Lookup(tc.method, tc.path)
			if !ok {
				t.Fatalf("Lookup(%s %s) failed", tc.method, tc.path)
			}
			all := map[string]string{}
			for k, v := range pathParams {
				all[k] = v
			}
			for k, v := range tc.params {
				all[k] = v
			}
			got := e.Validate(all)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate(%v) mismatch (-want +got):\n%s", all, diff)
			}
		})
	}
}

func TestValidateBasic(t *testing.T) {
	runValidateCases(t, "9.1", []vcase{
		{name: "start ok", method: "POST", path: "/nodes/pve1/qemu/100/status/start"},
		{name: "vmid not integer", method: "POST", path: "/nodes/pve1/qemu/abc/status/start",
			want: map[string]string{"vmid": "type check ('integer') failed - got 'abc'"}},
		// format is checked before minimum, as in check_prop
		{name: "vmid too small", method: "POST", path: "/nodes/pve1/qemu/99/status/start",
			want: map[string]string{"vmid": "invalid format - value does not look like a valid VM ID\n"}},
		{name: "bad node", method: "POST", path: "/nodes/pve_1/qemu/100/status/start",
			want: map[string]string{"node": "invalid format - value does not look like a valid node name\n"}},
		{name: "unknown param", method: "GET", path: "/nodes/pve1/tasks", params: map[string]string{"running": "1"},
			want: map[string]string{"running": MsgNotInSchema}},
		{name: "tasks source active", method: "GET", path: "/nodes/pve1/tasks", params: map[string]string{"source": "active"}},
		{name: "tasks bad source", method: "GET", path: "/nodes/pve1/tasks", params: map[string]string{"source": "x"},
			want: map[string]string{"source": "value 'x' does not have a value in the enumeration 'archive, active, all'"}},
		{name: "boolean true refused", method: "POST", path: "/nodes/pve1/qemu/100/status/stop", params: map[string]string{"overrule-shutdown": "true"},
			want: map[string]string{"overrule-shutdown": "type check ('boolean') failed - got 'true'"}},
		{name: "snapshot missing name", method: "POST", path: "/nodes/pve1/qemu/100/snapshot",
			want: map[string]string{"snapname": MsgMissing}},
		{name: "snapshot name too long", method: "POST", path: "/nodes/pve1/qemu/100/snapshot", params: map[string]string{"snapname": "a123456789012345678901234567890123456789x"},
			want: map[string]string{"snapname": "value may only be 40 characters long"}},
		{name: "net bridge bad", method: "POST", path: "/nodes/pve1/qemu", params: map[string]string{"vmid": "100", "net0": "virtio,bridge=vm br0"},
			want: map[string]string{"net0": "invalid format - format error\nnet0.bridge: invalid format - invalid bridge ID 'vm br0'\n\n"}},
		{name: "net ok", method: "POST", path: "/nodes/pve1/qemu", params: map[string]string{"vmid": "100", "net0": "virtio=BC:24:11:2C:69:EC,bridge=vmbr0,firewall=on"}},
		{name: "net32 unknown", method: "POST", path: "/nodes/pve1/qemu", params: map[string]string{"vmid": "100", "net32": "virtio"},
			want: map[string]string{"net32": MsgNotInSchema}},
	})
}
