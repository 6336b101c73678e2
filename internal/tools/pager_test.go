package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// guests renders n cluster resources as Proxmox lists them: qemu and lxc
// guests over three nodes, some tagged, pooled, stopped or templates.
func guests(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		vmid, kind, status := 100+i, "qemu", "running"
		if i%4 == 3 {
			kind = "lxc"
		}
		if i%3 == 0 {
			status = "stopped"
		}
		fmt.Fprintf(&b, `{"id":"%s/%d","type":"%s","vmid":%d,"node":"pve%d","name":"%s-%04d","status":"%s","cpu":0.0%d,"maxcpu":2,`+
			`"mem":%d,"maxmem":2147483648,"disk":0,"maxdisk":34359738368,"uptime":%d,"netin":123456,"netout":654321,`+
			`"diskread":1000,"diskwrite":2000,"template":%d,"tags":"%s"%s}`,
			kind, vmid, kind, vmid, i%3+1, []string{"web", "db", "cache"}[i%3], i, status, i%10, 1000000*(i%97), i*7,
			map[bool]int{true: 1, false: 0}[i%50 == 49], []string{"prod;web", "dev", ""}[i%3],
			map[bool]string{true: `,"pool":"lab"`, false: ""}[i%5 == 0])
	}
	b.WriteByte(']')
	return b.String()
}

type page struct {
	Items  []map[string]any `json:"items"`
	Total  int              `json:"total"`
	Offset int              `json:"offset"`
	Next   int              `json:"next"`
}

func listPage(t *testing.T, e *env, name string, args map[string]any) (page, string) {
	t.Helper()
	res, _ := e.call(t, name, args)
	if res.IsError {
		t.Fatalf("%s(%v): %s", name, args, res.Content[0].(*mcp.TextContent).Text)
	}
	var p page
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	var text []map[string]any
	if err := json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &text); err != nil || len(text) != len(p.Items) {
		t.Fatalf("%s: the first text block is not the items: %v", name, err)
	}
	note := ""
	if len(res.Content) > 1 {
		note = res.Content[1].(*mcp.TextContent).Text
	}
	return p, note
}

func TestListPaging(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /cluster/resources"] = guests(1000)

	p, note := listPage(t, e, "pve_list_vms", nil)
	if len(p.Items) != defaultLimit || p.Total != 750 || p.Next != defaultLimit {
		t.Fatalf("default page: %d items, total %d, next %d", len(p.Items), p.Total, p.Next)
	}
	if !strings.Contains(note, "items 1-50 of 750") || !strings.Contains(note, "next page: offset 50") || !strings.Contains(note, `fields "all"`) {
		t.Errorf("note: %s", note)
	}
	if p.Items[0]["vmid"] != 100.0 || p.Items[1]["vmid"] != 101.0 || p.Items[0]["netin"] != nil || p.Items[0]["name"] == nil {
		t.Errorf("default order or fields: %v", p.Items[:2])
	}

	last, note := listPage(t, e, "pve_list_vms", map[string]any{"offset": 740})
	if len(last.Items) != 10 || last.Next != 0 || last.Offset != 740 || !strings.Contains(note, "items 741-750 of 750") || strings.Contains(note, "next page") {
		t.Errorf("last page: %d items, next %d, note %q", len(last.Items), last.Next, note)
	}
	for _, limit := range []any{0, "all", "ALL"} {
		if all, note := listPage(t, e, "pve_list_vms", map[string]any{"limit": limit, "fields": "all"}); len(all.Items) != 750 || note != "" || all.Items[0]["netin"] == nil {
			t.Errorf("limit %v: %d items, note %q", limit, len(all.Items), note)
		}
	}

	for _, order := range []string{"-mem,vmid", "mem desc, vmid"} {
		sorted, _ := listPage(t, e, "pve_cluster_resources", map[string]any{"sort": order, "limit": 3, "fields": "vmid,mem"})
		if len(sorted.Items) != 3 || sorted.Items[0]["mem"] != 96000000.0 || len(sorted.Items[0]) != 2 || sorted.Items[0]["vmid"].(float64) > sorted.Items[1]["vmid"].(float64) {
			t.Errorf("sorted by %s: %v", order, sorted.Items)
		}
	}

	for args, want := range map[string]struct {
		args  map[string]any
		total int
	}{
		"status":  {map[string]any{"status": "STOPPED"}, 250},
		"name":    {map[string]any{"name": "web"}, 250},
		"glob":    {map[string]any{"name": "db-00?1"}, 2}, // db-0001, db-0061 (db-0031 is a container)
		"tag":     {map[string]any{"tag": "pro*"}, 250},
		"pool":    {map[string]any{"pool": "lab"}, 150},
		"node":    {map[string]any{"node": "pve2", "pool": "lab"}, 50}, // pool: the cluster index, not the node's list
		"several": {map[string]any{"status": "stopped", "tag": "prod", "name": "web-*"}, 250},
	} {
		p, _ := listPage(t, e, "pve_list_vms", want.args)
		if p.Total != want.total {
			t.Errorf("%s %v: total %d, want %d", args, want.args, p.Total, want.total)
		}
	}

	for _, bad := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"limit": "some"}, "limit: a number of items"},
		{map[string]any{"limit": -1}, "limit"},
		{map[string]any{"fields": "vmid;name"}, "fields: field names separated by commas"},
		{map[string]any{"fields": "-vmid"}, "fields"},
		{map[string]any{"sort": "mem down"}, "sort: field names separated by commas"},
		{map[string]any{"offset": -5}, "offset"},
	} {
		res, text := e.call(t, "pve_list_vms", bad.args)
		if !res.IsError || !strings.Contains(text, bad.want) {
			t.Errorf("%v: %s, want an error with %q", bad.args, text, bad.want)
		}
	}
}

func TestListPagingKeepsAllowlists(t *testing.T) {
	e := newEnv(t, envOpts{vmids: []int{100, 101, 102, 103, 104, 105, 106, 107, 108, 109}})
	e.fake.routes["GET /cluster/resources"] = guests(1000)
	p, note := listPage(t, e, "pve_cluster_resources", map[string]any{"limit": 4})
	if p.Total != 10 || len(p.Items) != 4 || !strings.Contains(note, "of 10") {
		t.Errorf("allowlisted page: total %d, %d items, note %q", p.Total, len(p.Items), note)
	}
}
