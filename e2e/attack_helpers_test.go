package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// attackCase is one call of TestAttackSuite: an attack that must be refused
// with nothing sent, or a positive control.
type attackCase struct {
	name string
	tool string
	args map[string]any
	// want: each must appear in the refusal's text (the argument at fault
	// and the guest, node or key).
	want []string
	// reads: the refusal may come after reading the cluster (GETs only);
	// atkWithout it the call must send no request at all.
	reads bool
	// readPaths: with reads, the only paths the refusal may have read.
	readPaths []string
	// ok: a positive control that must succeed.
	ok bool
	// sent: the guard must let the call through: a write reaches Proxmox,
	// which may still refuse it (root-only keys for a token).
	sent bool
	// on: the connection to call on; nil: the class's.
	on *client
	// asked: the user must have been asked, in a question naming each;
	// log is where that connection records its questions.
	asked []string
	log   *askLog
	// notAsked: the user must not have been asked (log must stay empty).
	notAsked bool
	// hide: texts a result must not contain (secrets, forbidden guests).
	hide []string
	// check: more checks of the result text.
	check func(t *testing.T, text string)
	skip  string
}

// askLog records the questions put to a client's user and answers each.
type askLog struct {
	mu     sync.Mutex
	answer string
	msgs   []string
}

func (a *askLog) handler(r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.msgs = append(a.msgs, r.Params.Message)
	return &mcp.ElicitResult{Action: a.answer, Content: map[string]any{}}, nil
}

func (a *askLog) reset() {
	a.mu.Lock()
	a.msgs = nil
	a.mu.Unlock()
}

func (a *askLog) asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.msgs...)
}

// attackRun runs attack cases against one cluster.
type attackRun struct {
	cl     *cluster
	logs   []*askLog // reset before each case
	counts map[string]int
	order  []string
}

func (r *attackRun) run(t *testing.T, class string, c *client, cases []attackCase) {
	t.Helper()
	if _, seen := r.counts[class]; !seen {
		r.order = append(r.order, class)
	}
	r.counts[class] += len(cases)
	t.Run(class, func(t *testing.T) {
		names := map[string]bool{}
		for _, tc := range cases {
			if names[tc.name] {
				t.Errorf("two cases named %q", tc.name)
			}
			names[tc.name] = true
			t.Run(tc.name, func(t *testing.T) { r.one(t, c, tc) })
		}
	})
}

func (r *attackRun) one(t *testing.T, c *client, tc attackCase) {
	if tc.skip != "" {
		t.Skip(tc.skip)
	}
	if tc.on != nil {
		c = tc.on
	}
	for _, l := range r.logs {
		l.reset()
	}
	r.cl.sim.ResetRequests()
	res, text := attackCall(t, c, tc.tool, tc.args)
	reqs := r.cl.sim.Requests()
	writes := atkWritesIn(reqs)
	args, _ := json.Marshal(tc.args)
	t.Logf("%s", atkShorten(text, 300))
	switch {
	case tc.ok:
		if res.IsError {
			t.Errorf("positive control %s(%s) failed: %s", tc.tool, args, text)
		}
	case tc.sent:
		if len(writes) == 0 {
			t.Errorf("%s(%s): nothing was sent, want the guard to let it through: %s", tc.tool, args, text)
		}
	default:
		if !res.IsError {
			t.Errorf("%s(%s) succeeded, want it refused: %s", tc.tool, args, text)
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s(%s): refusal lacks %q: %s", tc.tool, args, w, text)
			}
		}
		if len(writes) > 0 {
			t.Errorf("%s(%s): refused, but wrote to Proxmox: %v (result: %s)", tc.tool, args, writes, text)
		} else if !tc.reads && len(reqs) > 0 {
			t.Errorf("%s(%s): refused, but sent %v; want no request at all (result: %s)", tc.tool, args, atkRequestLines(reqs), text)
		}
		for _, rq := range reqs {
			if len(tc.readPaths) > 0 && !slices.Contains(tc.readPaths, rq.Path) {
				t.Errorf("%s(%s): refused after reading %s %s; want only %v read", tc.tool, args, rq.Method, rq.Path, tc.readPaths)
			}
		}
	}
	for _, h := range tc.hide {
		if strings.Contains(text, h) {
			t.Errorf("%s(%s): result shows %q: %s", tc.tool, args, h, text)
		}
	}
	if tc.log != nil {
		asked := tc.log.asked()
		if tc.notAsked && len(asked) > 0 {
			t.Errorf("%s(%s): the user was asked %q, want no question", tc.tool, args, asked)
		}
		if len(tc.asked) > 0 {
			all := strings.Join(asked, "\n")
			if len(asked) == 0 {
				t.Errorf("%s(%s): the user was not asked", tc.tool, args)
			}
			for _, w := range tc.asked {
				if len(asked) > 0 && !strings.Contains(all, w) {
					t.Errorf("%s(%s): the question %q does not name %q", tc.tool, args, all, w)
				}
			}
		}
	}
	if tc.check != nil {
		tc.check(t, text)
	}
}

// attackCall calls a tool on behalf of subtest t (the client's own helpers
// report to the test that connected it).
func attackCall(t *testing.T, c *client, name string, args map[string]any) (*mcp.CallToolResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.session.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	text := atkResultText(res)
	c.mu.Lock()
	c.transcript.WriteString(text + "\n")
	c.mu.Unlock()
	if !res.IsError {
		if rs := c.schemas[name]; rs != nil {
			var v any
			raw, _ := json.Marshal(res.StructuredContent)
			_ = json.Unmarshal(raw, &v)
			if err := rs.Validate(v); err != nil {
				t.Errorf("%s: structured content does not match the output schema: %v\n%s", name, err, raw)
			}
		}
	}
	return res, text
}

func atkResultText(res *mcp.CallToolResult) string {
	text := ""
	for _, ct := range res.Content {
		if tc, ok := ct.(*mcp.TextContent); ok {
			text += tc.Text
		}
	}
	return text
}

func atkWritesIn(reqs []pvesim.Request) []string {
	var out []string
	for _, r := range reqs {
		if r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func atkRequestLines(reqs []pvesim.Request) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// rawSession is a client session whose multi-round-trip middleware is off,
// so input-required results come back to the test as they are, and whose
// elicitation handler (always advertised) records what it is asked.
type rawSession struct {
	s   *mcp.ClientSession
	log *askLog
}

func (c *cluster) connectRaw(t *testing.T, env map[string]string, protocol string, log *askLog) *rawSession {
	t.Helper()
	id, secret := c.sim.DefaultToken()
	full := map[string]string{
		"PROXMOX_HOST": c.url, "PROXMOX_TOKEN_ID": id, "PROXMOX_TOKEN_SECRET": secret,
		"PVE_READONLY": "false", "LOG_LEVEL": "debug",
	}
	for k, v := range env {
		full[k] = v
	}
	cmd := exec.Command(binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range full {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr := &simtest.Buffer{}
	cmd.Stderr = stderr
	opts := &mcp.ClientOptions{
		MultiRoundTrip: &mcp.MultiRoundTripOptions{Disabled: true},
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return log.handler(r)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-raw", Version: "1"}, opts).Connect(ctx,
		&mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		t.Fatalf("connect: %v\nstderr:\n%s", err, stderr)
	}
	t.Cleanup(func() { s.Close() })
	return &rawSession{s: s, log: log}
}

func (r *rawSession) call(t *testing.T, p *mcp.CallToolParams) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := r.s.CallTool(ctx, p)
	if err != nil {
		t.Fatalf("%s: %v", p.Name, err)
	}
	return res
}

// attackFx is what the suite set up on the cluster before the attacks.
type attackFx struct {
	shared         string   // a storage shared by every node, with images and backups
	seededShared   []string // shared storages of the simulator's own seed, with backups
	disk103        string   // a disk of guest 103 (on pve3, outside the node allowlist) on shared
	backup103      string   // a backup of 103 on shared
	seeded103      []string // backups of 103 on the seeded shared storages
	backup100      string   // a backup of 100 on shared
	backup100local string   // a backup of 100 on pve1's local
	backup200local string   // a backup of 200 on pve1's local
	zfsStore       string   // a ZFS pool storage on every node
	zfs100         string   // a disk of 100 on it
	rbd100         string   // a disk of 100 on an RBD storage
	migrate103     string   // a task of guest 103 run on pve1 (its migration back to pve3)
	task100        string   // a task of guest 100 on pve1
	task101        string   // a task of forbidden guest 101 on pve1
	taskNet        string   // a task of no guest (srvreload) on pve1
	taskPve3       string   // a task on pve3
}

type atkTaskEntry struct {
	UPID string `json:"upid"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

type atkVolEntry struct {
	Volid   string `json:"volid"`
	VMID    int    `json:"vmid"`
	Content string `json:"content"`
}

// atkAttackSetup puts the suite's fixtures on the cluster with a connection
// that has no allowlists: a shared storage holding a disk and a backup of
// guest 103 (which lives on pve3) and a backup of 100, and a task of 103 on
// pve1.
func atkAttackSetup(t *testing.T, cl *cluster, admin *client) attackFx {
	t.Helper()
	// The seed's shared storage with images and backups, if it has one;
	// else one of the suite's own.
	var fx attackFx
	var stores []map[string]any
	admin.ok("pve_cluster_resources", m("type", "storage"), &stores)
	for _, s := range stores {
		id, _ := s["storage"].(string)
		content, _ := s["content"].(string)
		if s["node"] != "pve1" || s["shared"] != float64(1) || !strings.Contains(content, "backup") {
			continue
		}
		if fx.shared == "" && strings.Contains(content, "images") {
			fx.shared = id
		} else {
			fx.seededShared = append(fx.seededShared, id)
		}
	}
	if fx.shared == "" {
		fx.shared = "attack-shared"
		if err := cl.sim.AddStorage(fx.shared, "dir", []string{"images", "rootdir", "backup", "iso", "vztmpl"}, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("shared storage for class 5: %s (others with backups: %v)", fx.shared, fx.seededShared)

	// Disks of 100 on ZFS and RBD storage, whose names only those read.
	fx.zfsStore = "attack-zfs"
	for _, s := range []struct{ id, typ, slot string }{{fx.zfsStore, "zfspool", "scsi5"}, {"attack-rbd", "rbd", "scsi6"}} {
		if err := cl.sim.AddStorage(s.id, s.typ, []string{"images", "rootdir"}, false); err != nil {
			t.Fatal(err)
		}
		admin.ok("pve_vm_set_config", m("node", "pve1", "vmid", 100, "confirm", true, "extra", m(s.slot, s.id+":1")), nil)
		v, _ := admin.config("vm", "pve1", 100)[s.slot].(string)
		v, _, _ = strings.Cut(v, ",")
		if !strings.HasPrefix(v, s.id+":vm-100-disk-") {
			t.Fatalf("100's disk on %s: %q", s.id, v)
		}
		if s.typ == "zfspool" {
			fx.zfs100 = v
		} else {
			fx.rbd100 = v
		}
	}

	admin.ok("pve_vm_set_config", m("node", "pve3", "vmid", 103, "confirm", true, "extra", m("scsi1", fx.shared+":1")), nil)
	cfg := admin.config("vm", "pve3", 103)
	scsi1, _ := cfg["scsi1"].(string)
	fx.disk103, _, _ = strings.Cut(scsi1, ",")
	if !strings.HasPrefix(fx.disk103, fx.shared+":") {
		t.Fatalf("103's new disk: %q", scsi1)
	}
	admin.task("pve_backup_now", m("node", "pve3", "vmid", 103, "storage", fx.shared))
	admin.task("pve_backup_now", m("node", "pve1", "vmid", 100, "storage", fx.shared))
	for _, s := range fx.seededShared {
		admin.task("pve_backup_now", m("node", "pve3", "vmid", 103, "storage", s))
	}
	backupOn := func(storage string, vmid int) string {
		var vols []atkVolEntry
		admin.ok("pve_list_backups", m("node", "pve1", "storage", storage), &vols)
		for _, v := range vols {
			if v.VMID == vmid {
				return v.Volid
			}
		}
		t.Fatalf("no backup of %d on %s: %v", vmid, storage, vols)
		return ""
	}
	fx.backup103, fx.backup100 = backupOn(fx.shared, 103), backupOn(fx.shared, 100)
	for _, s := range fx.seededShared {
		fx.seeded103 = append(fx.seeded103, backupOn(s, 103))
	}
	fx.backup100local, fx.backup200local = admin.backupOf(100), admin.backupOf(200)

	// A migration there and back leaves a task of 103 in pve1's list.
	admin.task("pve_vm_migrate", m("node", "pve3", "vmid", 103, "target", "pve1", "withLocalDisks", true))
	admin.task("pve_vm_migrate", m("node", "pve1", "vmid", 103, "target", "pve3", "withLocalDisks", true))
	if g, ok := admin.findGuest(103); !ok || g.Node != "pve3" {
		t.Fatalf("103 is not back on pve3: %+v", g)
	}
	var tasks []atkTaskEntry
	admin.ok("pve_list_tasks", m("node", "pve1", "limit", 500), &tasks)
	for _, tk := range tasks {
		switch {
		case tk.Type == "qmigrate" && tk.ID == "103" && fx.migrate103 == "":
			fx.migrate103 = tk.UPID
		case tk.Type == "qmstart" && tk.ID == "100" && fx.task100 == "":
			fx.task100 = tk.UPID
		case tk.ID == "101" && fx.task101 == "":
			fx.task101 = tk.UPID
		case tk.Type == "srvreload" && fx.taskNet == "":
			fx.taskNet = tk.UPID
		}
	}
	var pve3 []atkTaskEntry
	admin.ok("pve_list_tasks", m("node", "pve3", "limit", 5), &pve3)
	if len(pve3) > 0 {
		fx.taskPve3 = pve3[0].UPID
	}
	if fx.migrate103 == "" || fx.task100 == "" || fx.task101 == "" || fx.taskNet == "" || fx.taskPve3 == "" {
		t.Fatalf("tasks missing from the fixtures: %+v\npve1: %v", fx, tasks)
	}
	return fx
}

// atkWithout returns a check that a list result holds no entry of the given
// guests nor of the given nodes, and (with must) holds each of must.
func atkWithout(vmids []int, nodes []string, must ...string) func(t *testing.T, text string) {
	return func(t *testing.T, text string) {
		t.Helper()
		var items []map[string]any
		if err := json.Unmarshal([]byte(text), &items); err != nil {
			t.Fatalf("decode list %q: %v", text, err)
		}
		for _, it := range items {
			id := 0
			switch v := it["vmid"].(type) {
			case float64:
				id = int(v)
			case string:
				id = atkAtoiOr0(v)
			}
			if tid, ok := it["id"].(string); ok && it["upid"] != nil {
				id = atkAtoiOr0(tid) // a task: its id is the guest's
			}
			for _, f := range vmids {
				if id == f {
					t.Errorf("list shows an entry of guest %d: %v", f, it)
				}
			}
			for _, n := range nodes {
				if it["node"] == n {
					t.Errorf("list shows an entry on node %s: %v", n, it)
				}
			}
		}
		for _, w := range must {
			if !strings.Contains(text, w) {
				t.Errorf("list lacks %q (the filter hides too much): %s", w, text)
			}
		}
	}
}

func atkAtoiOr0(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func atkShorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
