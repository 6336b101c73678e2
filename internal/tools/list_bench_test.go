package tools

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkListVMs10000 measures pve_list_vms through the tool handler over
// a 10 000-guest /cluster/resources, by default and with everything asked for
// (limit 0, passed only when the tool has a limit argument):
// go test -run '^$' -bench ListVMs10000 -count 6 ./internal/tools
func BenchmarkListVMs10000(b *testing.B) {
	e := newEnv(b, envOpts{})
	var rows []string
	for g := range 10000 {
		kind := "qemu"
		if g%5 == 4 {
			kind = "lxc"
		}
		rows = append(rows, fmt.Sprintf(`{"id":"%s/%d","type":"%s","vmid":%d,"name":"guest-%05d","node":"pve%d","status":"running",`+
			`"template":0,"tags":"bench;web","maxcpu":4,"maxmem":4294967296,"mem":1073741824,"maxdisk":34359738368,"disk":0,`+
			`"cpu":0.02,"uptime":8825,"netin":82601058,"netout":1060469,"diskread":1455539712,"diskwrite":1072448512}`,
			kind, 100+g, kind, 100+g, 100+g, 1+g%2))
	}
	e.fake.routes["GET /cluster/resources"] = "[" + strings.Join(rows, ",") + "]"
	all := map[string]any{}
	tl, err := e.session.ListTools(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range tl.Tools {
		if m, ok := t.InputSchema.(map[string]any); ok && t.Name == "pve_list_vms" {
			if props, _ := m["properties"].(map[string]any); props["limit"] != nil {
				all["limit"] = 0
			}
		}
	}
	for _, sc := range []struct {
		name string
		args map[string]any
	}{{"default", nil}, {"all", all}} {
		b.Run(sc.name, func(b *testing.B) {
			size := 0
			for b.Loop() {
				res, err := e.session.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_list_vms", Arguments: sc.args})
				if err != nil || res.IsError {
					b.Fatalf("pve_list_vms: %v %v", err, res)
				}
				size = 0
				for _, c := range res.Content {
					if tc, ok := c.(*mcp.TextContent); ok {
						size += len(tc.Text)
					}
				}
			}
			b.ReportMetric(float64(size), "text-bytes")
		})
	}
}
