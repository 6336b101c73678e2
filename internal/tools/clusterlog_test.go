package tools

import "testing"

const testClusterLog = `[
{"uid":6,"time":6,"pri":6,"tag":"pvedaemon","pid":1,"node":"pve1","user":"root@pam","msg":"end task UPID:pve1:0000ABCD:00112233:65A0B0C0:qmstart:102:root@pam: OK"},
{"uid":5,"time":5,"pri":6,"tag":"pvedaemon","pid":1,"node":"pve1","user":"root@pam","msg":"starting task UPID:pve1:0000ABCD:00112233:65A0B0C0:qmstart:102:root@pam:"},
{"uid":4,"time":4,"pri":6,"tag":"pvedaemon","pid":1,"node":"pve1","user":"root@pam","msg":"starting task UPID:pve1:0000ABCE:00112233:65A0B0C0:qmstart:103:root@pam:"},
{"uid":3,"time":3,"pri":6,"tag":"pvedaemon","pid":1,"node":"pve1","user":"root@pam","msg":"starting task UPID:pve1:0000ABCF:00112233:65A0B0C0:aptupdate::root@pam:"},
{"uid":2,"time":2,"pri":6,"tag":"pvedaemon","pid":1,"node":"pve1","user":"root@pam","msg":"successful auth for user 'root@pam'"},
{"uid":1,"time":1,"pri":6,"tag":"pvedaemon","pid":1,"node":"pve2","user":"root@pam","msg":"starting task UPID:pve2:0000ABCD:00112233:65A0B0C0:qmstart:102:root@pam:"}
]`

// Under a guest-id allowlist the log keeps the task entries of allowed
// guests and counts the rest as hidden.
func TestClusterLogAllowlists(t *testing.T) {
	for _, tc := range []struct {
		name          string
		nodes         []string
		vmids         []int
		items, hidden int
	}{
		{"none", nil, nil, 6, 0},
		{"vmids", nil, []int{102}, 3, 3},
		{"nodes", []string{"pve1"}, nil, 5, 1},
		{"both", []string{"pve1"}, []int{102}, 2, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{nodes: tc.nodes, vmids: tc.vmids})
			e.fake.routes["GET /cluster/log"] = testClusterLog
			e.fake.routes["GET /cluster/resources"] = `[{"type":"qemu","vmid":102,"node":"pve1","id":"qemu/102"},{"type":"qemu","vmid":103,"node":"pve1","id":"qemu/103"}]`
			var out struct {
				Items  []struct{ Msg string }
				Hidden int
			}
			decode(t, e.ok(t, "pve_cluster_log", nil), &out)
			if len(out.Items) != tc.items || out.Hidden != tc.hidden {
				t.Fatalf("items %d hidden %d, want %d and %d: %+v", len(out.Items), out.Hidden, tc.items, tc.hidden, out)
			}
		})
	}
}
