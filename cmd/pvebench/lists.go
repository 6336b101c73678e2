package main

import (
	"context"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// lists times pve_list_vms by default and with everything asked for. The
// "all" arguments are passed only where the tool's input schema has them,
// so the scenario runs before and after bounded lists.
// The default call's median and text size go into f.
func (b *bench) lists(ctx context.Context, s *mcp.ClientSession, tools []*mcp.Tool, f *figures) error {
	var props map[string]any
	for _, t := range tools {
		if t.Name == "pve_list_vms" {
			if m, ok := t.InputSchema.(map[string]any); ok {
				props, _ = m["properties"].(map[string]any)
			}
		}
	}
	if props == nil {
		fmt.Fprintln(b.out, "pve_list_vms: not listed, list scenarios skipped")
		return nil
	}
	all := map[string]any{}
	if _, ok := props["limit"]; ok {
		all["limit"] = 0
	}
	for _, sc := range []struct {
		name string
		args map[string]any
	}{{"default", map[string]any{}}, {"all", all}} {
		name, args := sc.name, sc.args
		var times []float64
		size := 0
		for range b.o.runs {
			t := time.Now()
			res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "pve_list_vms", Arguments: args})
			if err != nil {
				return fmt.Errorf("pve_list_vms %s: %w", name, err)
			}
			times = append(times, ms(time.Since(t)))
			size = len(text(res))
			if res.IsError {
				return fmt.Errorf("pve_list_vms %s: %s", name, text(res))
			}
		}
		b.row(fmt.Sprintf("pve_list_vms %s, %d guests (ms)", name, b.o.guests), times)
		if name == "default" {
			f.listMS, f.listBytes, f.haveList = median(times), size, true
		} else {
			f.listAllMS = median(times)
		}
		fmt.Fprintf(b.out, "%-50s %12d\n", fmt.Sprintf("pve_list_vms %s text bytes", name), size)
	}
	return nil
}
