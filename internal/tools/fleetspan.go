package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/principal"
)

// caller is who makes a call, as policies and scopes see it.
type caller = principal.Principal

// callerOf reads the caller from a request: stdio has no extra, HTTP
// carries the token the HTTP layer checked (none: anonymous on loopback).
func callerOf(extra *mcp.RequestExtra) caller {
	if extra == nil {
		return principal.Local("")
	}
	return principal.FromTokenInfo(extra.TokenInfo)
}

// span runs a read on every cluster pol may use and merges the lists,
// each item marked with its cluster; limit and offset apply per cluster.
func (f *Fleet) span(ctx context.Context, st *fleetState, pol *Policy, req *mcp.CallToolRequest, name string, readForm bool) (*mcp.CallToolResult, error) {
	var items []json.RawMessage
	var notes []string
	total := 0
	for _, c := range st.visible(pol) {
		t, err := f.pick(c, pol, name, readForm)
		if err == nil && t.Effect != ReadOnly {
			return errorResult(fmt.Errorf("invalid argument \"cluster\": \"all\" is for lists; %s changes a cluster: name one (%s)", name, names(st.visible(pol)))), nil
		}
		if err != nil {
			notes = append(notes, err.Error())
			continue
		}
		res, err := t.handler(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
		if res.IsError {
			notes = append(notes, "cluster "+c.Name+": "+resultText(res))
			continue
		}
		got, n, next, ok := listOf(res)
		if !ok {
			return errorResult(fmt.Errorf("invalid argument \"cluster\": \"all\" merges lists and %s does not answer with one; call it per cluster (%s)", name, names(st.visible(pol)))), nil
		}
		total += n
		for _, it := range got {
			items = append(items, markCluster(it, c.Name))
		}
		if next > 0 {
			notes = append(notes, fmt.Sprintf("cluster %s: %d of %d shown; the next page: offset %d with cluster %q", c.Name, len(got), n, next, c.Name))
		}
	}
	out := listOut{Items: items, Total: total}
	if items == nil {
		out.Items = []json.RawMessage{}
	}
	out.note = strings.Join(notes, "\n")
	return resultOf(out)
}

// listOf reads a list tool's answer: its items (the text block, which
// holds every item even when the structured copy does not), its total and
// the next page's offset.
func listOf(res *mcp.CallToolResult) (items []json.RawMessage, total, next int, ok bool) {
	raw, isRaw := res.StructuredContent.(json.RawMessage)
	if !isRaw || len(res.Content) == 0 {
		return nil, 0, 0, false
	}
	var meta struct {
		Total *int `json:"total"`
		Next  int  `json:"next"`
	}
	if json.Unmarshal(raw, &meta) != nil || meta.Total == nil {
		return nil, 0, 0, false
	}
	t, isText := res.Content[0].(*mcp.TextContent)
	if !isText || json.Unmarshal([]byte(t.Text), &items) != nil {
		return nil, 0, 0, false
	}
	return items, *meta.Total, meta.Next, true
}

// markCluster adds "cluster" to an item object.
func markCluster(item json.RawMessage, name string) json.RawMessage {
	s := strings.TrimSpace(string(item))
	if !strings.HasPrefix(s, "{") {
		return item
	}
	q, _ := json.Marshal(name)
	rest := strings.TrimSpace(s[1:])
	if rest == "}" {
		return json.RawMessage(`{"cluster":` + string(q) + `}`)
	}
	return json.RawMessage(`{"cluster":` + string(q) + `,` + rest)
}

// onOwnCluster points a call made from inside another tool (pve_apply)
// at the cluster the outer call runs on: the server's toolbox holds the
// routed tools, which would otherwise run it on the default cluster, or
// on one a "cluster" key inside the inner arguments names.
func (d *Deps) onOwnCluster(args json.RawMessage) (json.RawMessage, error) {
	if d.Fleet == nil || d.Cluster == "" {
		return args, nil
	}
	m := map[string]json.RawMessage{}
	if len(args) > 0 && string(args) != "null" {
		if err := json.Unmarshal(args, &m); err != nil {
			return nil, fmt.Errorf("arguments: %w", err)
		}
	}
	m["cluster"], _ = json.Marshal(d.Cluster)
	return json.Marshal(m)
}
