package tools

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestJobView: a job as Proxmox answers it (numbers, strings, an object for
// prune-backups) reads into the tools' fields; the rest stays in other.
func TestJobView(t *testing.T) {
	var m map[string]json.RawMessage
	_ = json.Unmarshal([]byte(`{"id":"j1","type":"vzdump","enabled":0,"schedule":"sat 02:00","next-run":1790000000,
		"all":1,"exclude":"101,9000","storage":"pbs","prune-backups":{"keep-daily":"7","keep-last":3},"bwlimit":"1000","zstd":2}`), &m)
	v := flattenJob(m).view()
	if v.Enabled || v.NextRun != "" || v.Selection != "all" || !slices.Equal(v.Exclude, []int{101, 9000}) || v.Mode != "snapshot" ||
		v.Retention["keep-daily"] != 7 || v.Retention["keep-last"] != 3 || v.Other["bwlimit"] != "1000" || v.Other["zstd"] != "2" {
		t.Fatalf("view %+v", v)
	}
	if got := flattenJob(m)["prune-backups"]; got != "keep-daily=7,keep-last=3" {
		t.Errorf("prune-backups as a property string: %q", got)
	}
	m = nil
	_ = json.Unmarshal([]byte(`{"id":"j2","enabled":"1","schedule":"daily","next-run":"1790000000","vmid":"100,200","node":"pve2"}`), &m)
	if v := flattenJob(m).view(); !v.Enabled || v.NextRun != "2026-09-21T14:13:20Z" || v.Selection != "vmids" || !slices.Equal(v.VMIDs, []int{100, 200}) {
		t.Fatalf("view %+v", v)
	}
}

// TestRunPlan: Run now goes to the job's node, or to every node, and for a
// vmid list only where those guests live.
func TestRunPlan(t *testing.T) {
	p := placed{guestNode: map[int]string{100: "pve1", 101: "pve1", 102: "pve2", 300: "pve3"},
		online: []string{"pve1", "pve2"}, offline: []string{"pve3"}}
	plan, missing := runPlan(jobView{Selection: "vmids", VMIDs: []int{102, 100, 999, 300}}, p)
	var got []string
	for _, r := range plan {
		got = append(got, r.Node+":"+joinInts(r.VMIDs)+":"+r.Status)
	}
	if want := []string{"pve1:100:", "pve2:102:", "pve3:300:offline"}; !slices.Equal(got, want) || !slices.Equal(missing, []int{999}) {
		t.Errorf("vmids: %v missing %v", got, missing)
	}
	plan, _ = runPlan(jobView{Selection: "all"}, p)
	if len(plan) != 3 || plan[2].Status != "offline" {
		t.Errorf("all: %+v", plan)
	}
	plan, _ = runPlan(jobView{Selection: "pool", Pool: "prod", Node: "pve2"}, p)
	if len(plan) != 1 || plan[0].Node != "pve2" {
		t.Errorf("pool on pve2: %+v", plan)
	}
	err := runOutcome(jobRunOut{ID: "j", Nodes: []nodeRun{{Node: "pve1", Status: "ok", UPID: "U1"}, {Node: "pve3", Status: "offline", Error: "node is not online"}}})
	if err == nil || !strings.Contains(err.Error(), "pve3: offline") || !strings.Contains(err.Error(), "pve1 ok (U1)") {
		t.Errorf("outcome: %v", err)
	}
	if err := runOutcome(jobRunOut{ID: "j", Nodes: []nodeRun{{Node: "pve1", Status: "nothing"}}}); err != nil {
		t.Errorf("a node with nothing to do: %v", err)
	}
}

func TestRetentionText(t *testing.T) {
	for _, c := range []struct {
		in   pruneArgs
		want string
	}{
		{pruneArgs{KeepLast: 3, KeepDaily: 7, KeepYearly: 1}, "keep-last=3,keep-daily=7,keep-yearly=1"},
		{pruneArgs{KeepAll: true}, "keep-all=1"},
		{pruneArgs{}, "at least one keep option"},
		{pruneArgs{KeepAll: true, KeepLast: 1}, "keep_all keeps every backup"},
	} {
		got, err := c.in.text()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.in, got, c.want)
		}
	}
}
