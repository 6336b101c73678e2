package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// editTaskID rewrites the cluster a task ID names ("" drops it): task IDs
// are plain base64 JSON, so a client can forge one.
func editTaskID(t *testing.T, id, cluster string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(id, "pvetask1.")
	b, err := base64.RawURLEncoding.DecodeString(rest)
	var ref map[string]any
	if !ok || err != nil || json.Unmarshal(b, &ref) != nil || ref["c"] != "lab" {
		t.Fatalf("not a task ID of lab: %q (%s)", id, b)
	}
	if cluster == "" {
		delete(ref, "c")
	} else {
		ref["c"] = cluster
	}
	b, _ = json.Marshal(ref)
	return "pvetask1." + base64.RawURLEncoding.EncodeToString(b)
}

// TestPrincipalTaskHandlesAcrossPolicies: a task handle bob got on lab
// takes alice nowhere near lab, however it is edited.
func TestPrincipalTaskHandlesAcrossPolicies(t *testing.T) {
	pr := startPrincipals(t)
	bobT := pr.hs.openAs(t, bobTok, tasksCaps)
	aliceT := pr.hs.openAs(t, aliceTok, tasksCaps)

	m := bobT.rpc("tools/call", `{"name":"pve_vm_reboot","arguments":{"node":"pve2","vmid":102,"cluster":"lab"}}`)
	w := decodeTask(t, m)
	if w.ResultType != "task" {
		t.Fatalf("no task handle: %v", m)
	}
	if g := bobT.rpc("tasks/get", fmt.Sprintf(`{"taskId":%q}`, w.TaskID)); g["error"] != nil {
		t.Fatalf("bob's own tasks/get: %v", g)
	}

	lab0 := requestCount(pr.lab)
	for _, method := range []string{"tasks/get", "tasks/cancel"} {
		g := aliceT.rpc(method, fmt.Sprintf(`{"taskId":%q}`, w.TaskID))
		if g["error"] == nil {
			t.Errorf("alice's %s of bob's lab task: %v", method, g)
		}
	}
	// tasks/update only acknowledges (it reads nothing): the count below
	// holds it to that.
	aliceT.rpc("tasks/update", fmt.Sprintf(`{"taskId":%q}`, w.TaskID))
	// Edited to another cluster: refused, or routed to home (alice's);
	// never to lab.
	for _, c := range []string{"home", "", "../lab", "LAB", "all", "lab\u0000", " lab"} {
		id := editTaskID(t, w.TaskID, c)
		for _, method := range []string{"tasks/get", "tasks/cancel"} {
			g := aliceT.rpc(method, fmt.Sprintf(`{"taskId":%q}`, id))
			if g["error"] == nil && strings.Contains(string(g["result"]), "qmreboot") {
				t.Errorf("alice's %s of the handle edited to %q read the task: %v", method, c, g)
			}
		}
	}
	if n := requestCount(pr.lab); n != lab0 {
		t.Fatalf("alice's task requests reached lab: %d requests", n-lab0)
	}
	if w := pr.home.writes(); len(w) > 0 {
		t.Fatalf("alice's task requests wrote to home: %v", w)
	}
}

// TestPrincipalPlansAcrossClusters: a plan bob makes on lab is applied on
// lab by bob alone.
func TestPrincipalPlansAcrossClusters(t *testing.T) {
	pr := startPrincipals(t)
	var p struct {
		Plan string `json:"plan"`
	}
	pr.bob.okJSON("pve_plan", m("tool", "pve_vm_reboot", "arguments", m("node", "pve2", "vmid", 102), "cluster", "lab"), &p)
	if p.Plan == "" {
		t.Fatal("no plan id")
	}
	lab0 := len(pr.lab.writes())
	pr.alice.fails("pve_apply", m("plan", p.Plan), "read-only")
	pr.alice.fails("pve_apply", m("plan", p.Plan, "cluster", "lab"), "token:alice")
	pr.bob.fails("pve_apply", m("plan", p.Plan, "cluster", "home"), "no such plan")
	if n := len(pr.lab.writes()); n != lab0 || len(pr.home.writes()) > 0 {
		t.Fatalf("a plan applied where it was not made: lab %v, home %v", pr.lab.writes(), pr.home.writes())
	}
	// Planning on home with arguments naming lab does not reach lab.
	l0 := requestCount(pr.lab)
	pr.alice.call("pve_plan", m("tool", "pve_vm_reboot", "arguments", m("node", "pve2", "vmid", 102, "cluster", "lab")))
	if n := requestCount(pr.lab); n != l0 {
		t.Fatalf("a nested cluster argument reached lab: %d requests", n-l0)
	}
	// A "cluster" inside the planned arguments is no way to carry the
	// applied call off the cluster the plan is made on.
	pr.bob.fails("pve_plan", m("tool", "pve_vm_reboot", "arguments", m("node", "pve2", "vmid", 102, "cluster", "lab"), "cluster", "home"),
		`unknown argument "cluster"`)
	text := pr.bob.ok("pve_apply", m("plan", p.Plan, "cluster", "lab"))
	if len(pr.lab.writes()) == lab0 {
		t.Fatalf("bob's own plan did not apply on lab: %s\nlab %v\nhome %v", text, pr.lab.writes(), pr.home.writes())
	}
}

// TestPrincipalClusterArgument: a cluster argument that is not exactly a
// cluster's name runs nowhere, not on the default cluster either.
func TestPrincipalClusterArgument(t *testing.T) {
	pr := startPrincipals(t)
	counts := func() (int, int) { return requestCount(pr.home), requestCount(pr.lab) }
	h0, l0 := counts()
	for _, c := range []any{7, true, []string{"lab"}, map[string]any{"name": "lab"}, 1.5} {
		pr.bob.fails("pve_list_vms", m("cluster", c), `invalid argument "cluster"`)
	}
	for _, c := range []string{"../home", "ALL", "All", "Lab", " lab", "lab ", "lab\u0000", "home/../lab", "*", "home,lab"} {
		pr.bob.fails("pve_list_vms", m("cluster", c), "no cluster")
		pr.alice.fails("pve_list_vms", m("cluster", c), "no cluster")
	}
	if h, l := counts(); h != h0 || l != l0 {
		t.Fatalf("bad cluster arguments reached a cluster: home +%d, lab +%d", h-h0, l-l0)
	}
	// A name alice may not use is refused even when the list names hers.
	pr.alice.fails("pve_list_vms", m("cluster", "lab"), "allows (home)")

	// The JSON tricks: a duplicate key (the last counts, as for the
	// tool) and an escaped key name must not slip lab past alice's policy
	// nor send bob's call to home when he named lab.
	for _, args := range []string{`{"cluster":"home","cluster":"lab"}`, `{"clust\u0065r":"lab"}`} {
		l := requestCount(pr.lab)
		g := pr.alice.rpc("tools/call", `{"name":"pve_list_vms","arguments":`+args+`}`)
		if text, isErr := structured(t, g["result"]); !isErr {
			t.Errorf("alice's %s ran: %s", args, text)
		}
		if requestCount(pr.lab) != l {
			t.Errorf("alice's %s reached lab", args)
		}
		h := requestCount(pr.home)
		g = pr.bob.rpc("tools/call", `{"name":"pve_vm_status","arguments":{"node":"pve2","vmid":102,`+args[1:]+`}`)
		if text, isErr := structured(t, g["result"]); !isErr && requestCount(pr.home) != h {
			t.Errorf("bob named lab (%s) but the call ran on home: %s", args, text)
		}
	}
}
