package selftest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// templateURL is public by address, so the download check passes without
// DNS; the simulator does not fetch it.
const templateURL = "https://93.184.216.34/images/system/debian-12-standard_12.7-1_amd64.tar.zst"

func startSim(t *testing.T, nodes int) *simtest.Cluster {
	return simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.01, Nodes: nodes}})
}

func options(progress io.Writer) Options {
	return Options{First: 990, Last: 999, TemplateURL: templateURL, CleanupTimeout: time.Minute, Progress: progress}
}

// state is what the sweep may touch, read straight from the simulator:
// guests, every storage's content, backup jobs, network config and staged
// changes of every node.
func state(t *testing.T, c *simtest.Cluster) string {
	t.Helper()
	settle(t, c)
	var b strings.Builder
	var guests []map[string]any
	get(t, c, "/cluster/resources?type=vm", &guests, nil)
	for _, g := range guests {
		b.WriteString(strings.Join([]string{str(g["vmid"]), str(g["node"]), str(g["type"]), str(g["name"]), str(g["status"])}, " ") + "\n")
	}
	var jobs []map[string]any
	get(t, c, "/cluster/backup", &jobs, nil)
	raw, _ := json.Marshal(jobs)
	b.Write(append(raw, '\n'))
	var nodes []map[string]any
	get(t, c, "/nodes", &nodes, nil)
	for _, n := range nodes {
		name := str(n["node"])
		var ifaces []map[string]any
		var changes string
		get(t, c, "/nodes/"+name+"/network", &ifaces, &changes)
		raw, _ := json.Marshal(ifaces)
		b.WriteString(name + " network " + string(raw) + " changes " + changes + "\n")
		var storages []map[string]any
		get(t, c, "/nodes/"+name+"/storage", &storages, nil)
		for _, s := range storages {
			var content []map[string]any
			get(t, c, "/nodes/"+name+"/storage/"+str(s["storage"])+"/content", &content, nil)
			for _, v := range content {
				b.WriteString(name + " " + str(v["volid"]) + " " + str(v["size"]) + "\n")
			}
		}
	}
	return b.String()
}

// settle waits until no task runs on any node: a task a sweep was
// interrupted in must not change the state after it is read.
func settle(t *testing.T, c *simtest.Cluster) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var nodes []map[string]any
		get(t, c, "/nodes", &nodes, nil)
		running := 0
		for _, n := range nodes {
			var tasks []map[string]any
			get(t, c, "/nodes/"+str(n["node"])+"/tasks?source=active", &tasks, nil)
			running += len(tasks)
		}
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks still run", running)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func str(v any) string { raw, _ := json.Marshal(v); return strings.Trim(string(raw), `"`) }

// get reads a path with the default token, the envelope's changes too.
func get(t *testing.T, c *simtest.Cluster, path string, data any, changes *string) {
	t.Helper()
	req, err := http.NewRequest("GET", c.URL+"/api2/json"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, secret := c.Sim.DefaultToken()
	req.Header.Set("Authorization", "PVEAPIToken="+id+"="+secret)
	resp, err := c.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Data    json.RawMessage `json:"data"`
		Changes string          `json:"changes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if changes != nil {
		*changes = env.Changes
	}
}

func runSweep(t *testing.T, ctx context.Context, c *simtest.Cluster, o Options) Report {
	t.Helper()
	// PVE_READONLY is left at its default (true): the sweep enables writes.
	r, err := Run(ctx, c.Config(t, nil), o)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var b strings.Builder
	Table(&b, r.Steps)
	t.Logf("\n%s", b.String())
	return r
}

func status(r Report, name string) string {
	for _, s := range r.Steps {
		if s.Name == name {
			return s.Status
		}
	}
	return "missing"
}

func TestFullPass(t *testing.T) {
	t.Parallel()
	c := startSim(t, 3)
	before := state(t, c)
	r := runSweep(t, context.Background(), c, options(nil))
	if !r.OK {
		t.Error("sweep not OK")
	}
	for _, s := range r.Steps {
		if s.Status == statusFail || s.Status == statusSkipped && s.Tool != "pve_apply_network" {
			t.Errorf("step %q: %s %s", s.Name, s.Status, s.Note)
		}
	}
	if got := status(r, "migrate the clone"); got != statusOK {
		t.Errorf("migration on three nodes: %s", got)
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestOneNodeSkipsMigration(t *testing.T) {
	t.Parallel()
	c := startSim(t, 1)
	before := state(t, c)
	r := runSweep(t, context.Background(), c, options(nil))
	if !r.OK || status(r, "migrate the clone") != statusSkipped {
		t.Errorf("ok %v, migration %s", r.OK, status(r, "migrate the clone"))
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestFailedStepCleansUp(t *testing.T) {
	t.Parallel()
	c := startSim(t, 3)
	before := state(t, c)
	// The container's backup fails: by then there are the template, the
	// bridge, both VMs, a VM backup and both containers to remove.
	if _, err := c.Sim.AddFault(pvesim.Fault{Kind: pvesim.FaultTaskFail, TaskType: "vzdump", VMID: 992, Message: "injected"}); err != nil {
		t.Fatal(err)
	}
	r := runSweep(t, context.Background(), c, options(nil))
	if r.OK {
		t.Error("sweep OK with a failed step")
	}
	if got := status(r, "back up the container"); got != statusFail {
		t.Errorf("backup step: %s", got)
	}
	if got := status(r, "restore the container"); got != statusSkipped {
		t.Errorf("step after the failure: %s", got)
	}
	if got := status(r, "nothing left behind"); got != statusOK {
		t.Errorf("leftovers: %s", got)
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestRefusesAnIDInUse(t *testing.T) {
	t.Parallel()
	c := startSim(t, 3)
	before := state(t, c)
	o := options(nil)
	o.First, o.Last = 100, 110
	r, err := Run(context.Background(), c.Config(t, nil), o)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "100 (qemu on pve1)") {
		t.Errorf("err %v", err)
	}
	if slices.ContainsFunc(r.Steps, func(s Step) bool { return strings.HasPrefix(s.Name, "cleanup") }) {
		t.Errorf("steps after the refusal: %+v", r.Steps)
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed")
	}
}

// TestRefusesWhatIsThereAlready: a template of an earlier sweep stops the
// run before it makes anything, and it is not deleted.
func TestRefusesWhatIsThereAlready(t *testing.T) {
	t.Parallel()
	c := startSim(t, 1)
	form := url.Values{"url": {templateURL}, "content": {"vztmpl"}, "filename": {"mcp-selftest-" + path.Base(templateURL)}}
	req, err := http.NewRequest("POST", c.URL+"/api2/json/nodes/pve1/storage/local/download-url", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	id, secret := c.Sim.DefaultToken()
	req.Header.Set("Authorization", "PVEAPIToken="+id+"="+secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Server.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download: %v %v", resp, err)
	}
	resp.Body.Close()
	before := state(t, c)
	if !strings.Contains(before, "local:vztmpl/mcp-selftest-") {
		t.Fatalf("no template:\n%s", before)
	}
	r, err := Run(context.Background(), c.Config(t, nil), options(nil))
	if err == nil || !strings.Contains(err.Error(), "is there already") {
		t.Errorf("err %v", err)
	}
	if len(r.Steps) != 3 {
		t.Errorf("steps after the refusal: %+v", r.Steps)
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
