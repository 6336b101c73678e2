package tools

import (
	"fmt"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// planChanges is what a rehearsal changed on the twin.
type planChanges struct {
	Guests  []guestChange  `json:"guests,omitempty"`
	Volumes []volumeChange `json:"volumes,omitempty"`
	Storage []storageUse   `json:"storage,omitempty"`
}

type guestChange struct {
	VMID      int         `json:"vmid"`
	Type      string      `json:"type"`
	Change    string      `json:"change" jsonschema:"created, destroyed or changed"`
	Node      string      `json:"node"`
	NodeAfter string      `json:"nodeAfter,omitempty" jsonschema:"where it is after (a migration)"`
	Status    string      `json:"status,omitempty" jsonschema:"running or stopped after, when that changes"`
	Config    []keyChange `json:"config,omitempty"`
	SnapAdded []string    `json:"snapshotsAdded,omitempty"`
	SnapGone  []string    `json:"snapshotsRemoved,omitempty"`
}

type keyChange struct {
	Key    string `json:"key"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

type volumeChange struct {
	VolID  string `json:"volid"`
	Node   string `json:"node"`
	Change string `json:"change" jsonschema:"created, destroyed or resized"`
	Size   int64  `json:"size"`
	Before int64  `json:"sizeBefore,omitempty"`
}

type storageUse struct {
	Storage string `json:"storage"`
	Node    string `json:"node"`
	Before  int64  `json:"usedBefore"`
	After   int64  `json:"usedAfter"`
	Total   int64  `json:"total"`
	Over    bool   `json:"overfull,omitempty" jsonschema:"the change needs more than the storage holds"`
}

// diffTwin compares the twin before and after a rehearsal.
func diffTwin(before, after pvesim.TwinState) planChanges {
	var ch planChanges
	old := map[int]pvesim.TwinGuest{}
	for _, g := range before.Guests {
		old[g.VMID] = g
	}
	now := map[int]bool{}
	for _, g := range after.Guests {
		now[g.VMID] = true
		b, existed := old[g.VMID]
		if !existed {
			ch.Guests = append(ch.Guests, guestChange{VMID: g.VMID, Type: g.Type, Change: "created", Node: g.Node,
				Status: runState(g.Running), Config: confDiff(nil, g.Config), SnapAdded: snapNames(g.Snapshots)})
			continue
		}
		gc := guestChange{VMID: g.VMID, Type: g.Type, Change: "changed", Node: b.Node, Config: confDiff(b.Config, g.Config)}
		if g.Node != b.Node {
			gc.NodeAfter = g.Node
		}
		if g.Running != b.Running {
			gc.Status = runState(g.Running)
		}
		gc.SnapAdded, gc.SnapGone = setDiff(snapNames(b.Snapshots), snapNames(g.Snapshots))
		if gc.NodeAfter != "" || gc.Status != "" || len(gc.Config)+len(gc.SnapAdded)+len(gc.SnapGone) > 0 {
			ch.Guests = append(ch.Guests, gc)
		}
	}
	for _, g := range before.Guests {
		if !now[g.VMID] {
			ch.Guests = append(ch.Guests, guestChange{VMID: g.VMID, Type: g.Type, Change: "destroyed", Node: g.Node})
		}
	}
	sort.Slice(ch.Guests, func(i, j int) bool { return ch.Guests[i].VMID < ch.Guests[j].VMID })
	ch.Volumes = volumeDiff(before.Volumes, after.Volumes)
	ch.Storage = storageDiff(before.Storages, after.Storages)
	return ch
}

func runState(running bool) string {
	if running {
		return "running"
	}
	return "stopped"
}

func confDiff(before, after map[string]string) []keyChange {
	var out []keyChange
	for k, v := range after {
		if b, ok := before[k]; !ok || b != v {
			out = append(out, keyChange{Key: k, Before: before[k], After: v})
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			out = append(out, keyChange{Key: k, Before: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func snapNames(s []pvesim.TwinSnapshot) []string {
	var out []string
	for _, sn := range s {
		out = append(out, sn.Name)
	}
	return out
}

// setDiff is what b adds to a and what it lacks of a.
func setDiff(a, b []string) (added, gone []string) {
	for _, x := range b {
		if !contains(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !contains(b, x) {
			gone = append(gone, x)
		}
	}
	return added, gone
}

func volumeDiff(before, after []pvesim.TwinVolume) []volumeChange {
	key := func(v pvesim.TwinVolume) string { return v.Node + " " + v.VolID }
	old := map[string]pvesim.TwinVolume{}
	for _, v := range before {
		old[key(v)] = v
	}
	var out []volumeChange
	seen := map[string]bool{}
	for _, v := range after {
		seen[key(v)] = true
		b, ok := old[key(v)]
		switch {
		case !ok:
			out = append(out, volumeChange{VolID: v.VolID, Node: v.Node, Change: "created", Size: v.Size})
		case b.Size != v.Size:
			out = append(out, volumeChange{VolID: v.VolID, Node: v.Node, Change: "resized", Size: v.Size, Before: b.Size})
		}
	}
	for _, v := range before {
		if !seen[key(v)] {
			out = append(out, volumeChange{VolID: v.VolID, Node: v.Node, Change: "destroyed", Size: v.Size})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VolID < out[j].VolID })
	return out
}

func storageDiff(before, after []pvesim.TwinStorage) []storageUse {
	old := map[string]int64{}
	for _, s := range before {
		for _, n := range s.Nodes {
			old[s.ID+" "+n.Node] = n.Used
		}
	}
	var out []storageUse
	for _, s := range after {
		for _, n := range s.Nodes {
			b := old[s.ID+" "+n.Node]
			if b != n.Used && !(s.Shared && len(out) > 0 && out[len(out)-1].Storage == s.ID) {
				out = append(out, storageUse{Storage: s.ID, Node: n.Node, Before: b, After: n.Used, Total: n.Total, Over: n.Used > n.Total})
			}
		}
	}
	return out
}

// planTask is a task the rehearsal ran, with the last of its log.
type planTask struct {
	UPID string   `json:"upid"`
	Type string   `json:"type"`
	ID   string   `json:"id,omitempty"`
	Exit string   `json:"exitstatus,omitempty"`
	Log  []string `json:"log"`
}

const planLogLines = 40

func planTasks(ts []pvesim.TaskRecord) []planTask {
	out := []planTask{}
	for _, t := range ts {
		log := t.Log
		if len(log) > planLogLines {
			log = append([]string{fmt.Sprintf("… %d lines before", len(log)-planLogLines)}, log[len(log)-planLogLines:]...)
		}
		exit := t.Exit
		if !t.Done {
			exit = "still running when the call answered"
		}
		out = append(out, planTask{UPID: t.UPID, Type: t.Type, ID: t.ID, Exit: exit, Log: log})
	}
	return out
}

// summary is the changes as lines for the text answer.
func (ch planChanges) summary() []string {
	var out []string
	for _, g := range ch.Guests {
		var parts []string
		switch g.Change {
		case "created", "destroyed":
			parts = append(parts, fmt.Sprintf("%s %d %s on %s", g.Type, g.VMID, g.Change, g.Node))
		default:
			parts = append(parts, fmt.Sprintf("%s %d on %s", g.Type, g.VMID, g.Node))
		}
		if g.NodeAfter != "" {
			parts = append(parts, "moves to "+g.NodeAfter)
		}
		if g.Status != "" {
			parts = append(parts, "becomes "+g.Status)
		}
		if g.Change != "created" {
			for _, k := range g.Config {
				parts = append(parts, fmt.Sprintf("%s: %s → %s", k.Key, emptyAsNone(k.Before), emptyAsNone(k.After)))
			}
		} else if len(g.Config) > 0 {
			parts = append(parts, fmt.Sprintf("%d config keys", len(g.Config)))
		}
		if len(g.SnapAdded) > 0 {
			parts = append(parts, "snapshot added: "+strings.Join(g.SnapAdded, ", "))
		}
		if len(g.SnapGone) > 0 {
			parts = append(parts, "snapshot removed: "+strings.Join(g.SnapGone, ", "))
		}
		out = append(out, strings.Join(parts, "; "))
	}
	for _, v := range ch.Volumes {
		out = append(out, fmt.Sprintf("volume %s on %s %s (%s)", v.VolID, v.Node, v.Change, humanBytes(v.Size)))
	}
	for _, s := range ch.Storage {
		line := fmt.Sprintf("storage %s on %s: used %s → %s of %s", s.Storage, s.Node, humanBytes(s.Before), humanBytes(s.After), humanBytes(s.Total))
		if s.Over {
			line += " (more than it holds)"
		}
		out = append(out, line)
	}
	return out
}

func emptyAsNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func humanBytes(b int64) string {
	const gib = 1 << 30
	if b >= gib || b <= -gib {
		return fmt.Sprintf("%.1f GiB", float64(b)/gib)
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
