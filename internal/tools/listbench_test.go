package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// clusterResources renders /cluster/resources?type=vm of a cluster with n
// guests as PVE 9 sends it (pve-payloads.md section 5): every fifth an lxc,
// every seventh stopped, every fiftieth a template, in Proxmox's own member
// order, with memhost on qemu guests and a pool, lock or hastate on a few,
// the guests in no particular order.
func clusterResources(n int) string {
	var b strings.Builder
	b.Grow(n * 400)
	b.WriteByte('[')
	for k := range n {
		if k > 0 {
			b.WriteByte(',')
		}
		g := k * 7919 % n // Proxmox's order is its hash's, not by vmid: a fixed shuffle (7919 is prime)
		vmid, kind, status := 100+g, "qemu", "running"
		if g%5 == 4 {
			kind = "lxc"
		}
		mem, cpu, uptime, netin, netout, dread, dwrite := int64(1+g%16)<<29, "0.0202062065371041", 8825+g, 82601058, 1060469, 1455539712, 1072448512
		template := 0
		if g%7 == 6 || g%50 == 49 {
			status, mem, cpu, uptime, netin, netout, dread, dwrite = "stopped", 0, "0", 0, 0, 0, 0, 0
		}
		if g%50 == 49 {
			template = 1
		}
		memhost := ""
		if kind == "qemu" {
			memhost = fmt.Sprintf(`"memhost":%d,`, mem)
		}
		extra := ""
		switch {
		case g%20 == 0:
			extra = `"pool":"prod",`
		case g%97 == 5:
			extra = `"lock":"backup",`
		case g%31 == 7:
			extra = `"hastate":"started",`
		}
		fmt.Fprintf(&b, `{%s"netin":%d,"maxcpu":%d,"maxdisk":%d,"diskwrite":%d,"name":"guest-%05d","node":"pve%d",`+
			`"uptime":%d,"vmid":%d,"template":%d,"tags":"bench;web","id":"%s/%d",%s"netout":%d,"mem":%d,"status":"%s",`+
			`"maxmem":%d,"cpu":%s,"type":"%s","diskread":%d,"disk":0}`,
			memhost, netin, 2+g%7, int64(8+g%64)<<30, dwrite, vmid, g%4+1,
			uptime, vmid, template, kind, vmid, extra, netout, mem, status,
			int64(1+g%16)<<30, cpu, kind, dread)
	}
	b.WriteByte(']')
	return b.String()
}

// BenchmarkListVMs10000 measures pve_list_vms on a 10 000-guest cluster
// (8 000 VMs, 3.4 MB from Proxmox, as cmd/pvebench's fake): the default page and every VM with
// every field; server-* is the handler and the JSON the server sends,
// mcp-* the whole call over an in-memory MCP session.
// go test -run '^$' -bench ListVMs10000 -count 6 ./internal/tools
func BenchmarkListVMs10000(b *testing.B) {
	e := newEnv(b, envOpts{})
	e.fake.routes["GET /cluster/resources"] = clusterResources(10000)
	var tool Tool
	for _, tl := range e.tools {
		if tl.Def.Name == "pve_list_vms" {
			tool = tl
		}
	}
	for _, c := range []struct {
		name string
		args map[string]any
	}{{"default", nil}, {"all", map[string]any{"limit": "all", "fields": "all"}}, {"limit0", map[string]any{"limit": 0}}} {
		b.Run("server-"+c.name, func(b *testing.B) {
			args, _ := json.Marshal(c.args)
			size, cpu := 0, cpuTime()
			for b.Loop() {
				res, err := tool.Handle(context.Background(), &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "pve_list_vms", Arguments: args}})
				if err != nil || res.IsError {
					b.Fatal(err, res)
				}
				wire, err := json.Marshal(res)
				if err != nil {
					b.Fatal(err)
				}
				size = len(wire)
			}
			b.ReportMetric(float64(size), "wire-bytes")
			reportCPU(b, cpu)
		})
		b.Run("mcp-"+c.name, func(b *testing.B) {
			size, cpu := 0, cpuTime()
			for b.Loop() {
				res, err := e.session.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_list_vms", Arguments: c.args})
				if err != nil || res.IsError {
					b.Fatal(err, res)
				}
				size = len(res.Content[0].(*mcp.TextContent).Text)
			}
			b.ReportMetric(float64(size), "text-bytes")
			reportCPU(b, cpu)
		})
	}
}

// reportCPU adds the CPU time the process spent per op since start (the
// fake Proxmox and the garbage collector included): on a shared machine
// it moves less than the wall time does.
func reportCPU(b *testing.B, start time.Duration) {
	if now := cpuTime(); now > 0 && b.N > 0 {
		b.ReportMetric(float64(now-start)/float64(b.N), "cpu-ns/op")
	}
}

// TestClusterResourcesFake keeps the benchmark's cluster what it says.
func TestClusterResourcesFake(t *testing.T) {
	raw := clusterResources(10000)
	var items []map[string]any
	if err := json.Unmarshal([]byte(raw), &items); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range items {
		kinds[it["type"].(string)]++
	}
	seen := map[float64]bool{}
	for _, it := range items {
		seen[it["vmid"].(float64)] = true
	}
	if len(items) != 10000 || kinds["qemu"] != 8000 || kinds["lxc"] != 2000 || len(seen) != 10000 || items[1]["vmid"] == 101.0 {
		t.Errorf("%d items, kinds %v", len(items), kinds)
	}
	t.Logf("%d bytes", len(raw))
}
