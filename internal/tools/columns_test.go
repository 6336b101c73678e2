package tools

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/jsonscan"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// oddResources are entries that read differently by kind of value: escaped
// text, null, a vmid sent as a string, upper case, repeated keys, spaces.
const oddResources = `{"id":"qemu/7","type":"qemu","vmid":"7","node":"pve1","name":"Z\u00e9ta","status":"running","tags":"a;b","mem":null},
{"id":"qemu/8","type":"qemu","vmid":8,"node":"pve\u0031","name":"alpha","name":"Beta","status":"stopped","mem":"12"},
{ "id" : "qemu/9" , "type":"qemu", "vmid":9, "node":"pve2", "name":"x\"y", "status":"RUNNING", "mem":true, "pool":"lab" },
{"id":"qemu/10","type":"qemu","vmid":10,"node":"pve2","status":"running","mem":{"a":1},"tags":"Prod"},
{"id":"storage/pve1/local","type":"storage","node":"pve1","storage":"local","status":"available"},
{"id":"/pool/lab","type":"pool","pool":"lab"}`

// TestPageReadsPickedValuesAsMembers checks that a page made from the
// values pve.List picked while checking the answer is the page made by
// reading every item with jsonscan.Members, for filters and orders over
// every kind of value.
func TestPageReadsPickedValuesAsMembers(t *testing.T) {
	spaced := strings.TrimSuffix(guests(300), "]") + "," + oddResources + "]"
	compact := strings.NewReplacer(" ", "", "\n", "").Replace(spaced) // no space inside its strings
	for _, data := range []string{spaced, compact} {
		t.Run(map[bool]string{true: "spaced", false: "compact"}[data == spaced], func(t *testing.T) { pageAsMembers(t, data) })
	}
}

func pageAsMembers(t *testing.T, data string) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /cluster/resources"] = data
	var items []json.RawMessage
	if err := jsonscan.Elements([]byte(data), func(it []byte) bool { items = append(items, it); return true }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args  map[string]any
		total int
	}{
		{nil, 306},
		{map[string]any{"sort": "name", "limit": "all"}, 306},
		{map[string]any{"sort": "-mem,vmid", "fields": "vmid,name,mem"}, 306},
		{map[string]any{"sort": "status,-name", "offset": 20, "limit": 30}, 306},
		{map[string]any{"name": "é", "fields": "all"}, 1},                             // Z\u00e9ta
		{map[string]any{"name": "x\"*", "limit": 0}, 1},                               // x\"y
		{map[string]any{"status": "running", "tag": "pro*"}, 1},                       // Prod
		{map[string]any{"node": "pve1", "sort": "node,id", "fields": "id,node"}, 103}, // pve\u0031 too
		{map[string]any{"pool": "lab", "fields": "all", "limit": "all"}, 62},
		{map[string]any{"name": "beta"}, 1}, // the last of two names
		{map[string]any{"sort": "pool,mem,name"}, 306},
	} {
		args := c.args
		res, _ := e.call(t, "pve_cluster_resources", args)
		if res.IsError {
			t.Fatalf("%v: %s", args, res.Content[0].(*mcp.TextContent).Text)
		}
		var in resourcesArgs
		raw, _ := json.Marshal(args)
		if err := json.Unmarshal(raw, &in); err != nil {
			t.Fatal(err)
		}
		pg, err := newPager(in.pageArgs, resourceList, append(in.matches(), match{"node", string(in.Node), exact})...)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pg.page(&pve.List{Items: items}, func(entry) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		structured, text := want.encode()
		var gotMeta, wantMeta struct{ Total, Offset, Next, Count int }
		raw, _ = json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(raw, &gotMeta)
		_ = json.Unmarshal(structured, &wantMeta)
		if got := res.Content[0].(*mcp.TextContent).Text; got != text || gotMeta != wantMeta {
			t.Errorf("%v: picked values give %+v\n%.400s\nMembers give %+v\n%.400s", args, gotMeta, got, wantMeta, text)
		}
		if gotMeta.Total != c.total {
			t.Errorf("%v: total %d, want %d", args, gotMeta.Total, c.total)
		}
		if len(res.Content) > 1 && res.Content[1].(*mcp.TextContent).Text != want.note {
			t.Errorf("%v: note %q, want %q", args, res.Content[1].(*mcp.TextContent).Text, want.note)
		}
	}
}

// TestSortFirst checks the first n of a partial sort against a stable sort
// of everything, with many ties.
func TestSortFirst(t *testing.T) {
	keys := make([]int, 5000)
	for i := range keys {
		keys[i] = (i * 7919) % 97 // 97 values, each ~50 times
	}
	byKey := func(a, b int) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) }
	want := make([]int, len(keys))
	for i := range want {
		want[i] = i
	}
	slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
	for _, n := range []int{0, 1, 50, 99, 600, 700, 5000} {
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		if got := sortFirst(order, n, byKey); !slices.Equal(got, want[:n]) {
			t.Errorf("first %d: %v..., want %v...", n, got[:min(n, 5)], want[:min(n, 5)])
		}
	}
}
