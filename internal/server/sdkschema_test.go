package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The patched go-sdk checks a json.RawMessage schema without decoding it
// into a map (PATCHES.md section 10): what AddTool refuses, and what
// tools/list sends, must stay as before.
func TestSDKRawSchemas(t *testing.T) {
	for raw, refusal := range map[string]string{
		`{"type":"array"}`:    `must have type "object"`,
		`{"TYPE":"object"}`:   `must have type "object"`,
		`{"type":"object"`:    "can't marshal input schema",
		`[{"type":"object"}]`: "can't marshal input schema",
		`{"type":"object","properties":{"o":{"type":"object","x-mcp-header":"X"}}}`: "x-mcp-header",
	} {
		got := addToolPanic(&mcp.Tool{Name: "t", InputSchema: json.RawMessage(raw)})
		if !strings.Contains(got, refusal) {
			t.Errorf("%s: AddTool %q, want a refusal naming %q", raw, got, refusal)
		}
	}
	if got := addToolPanic(&mcp.Tool{Name: "t", InputSchema: json.RawMessage(`{"type":"object"}`),
		OutputSchema: json.RawMessage(`{"type":`)}); !strings.Contains(got, "output schema") {
		t.Errorf("invalid output schema: AddTool %q", got)
	}

	in := `{"type":"object","properties":{"node":{"type":"string","description":"a <node> & more"}},"required":["node"]}`
	out := `{"type":"object","properties":{"ok":{"type":"boolean"}}}`
	srv := mcp.NewServer(&mcp.Implementation{Name: "s", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "t", InputSchema: json.RawMessage(in), OutputSchema: json.RawMessage(out)},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{}, nil
		})
	ctx := context.Background()
	cs := inMemorySession(t, srv)
	res, err := cs.ListTools(ctx, nil)
	if err != nil || len(res.Tools) != 1 {
		t.Fatalf("tools/list: %v, %v", res, err)
	}
	for what, pair := range map[string][2]any{"input": {res.Tools[0].InputSchema, in}, "output": {res.Tools[0].OutputSchema, out}} {
		var want any
		if err := json.Unmarshal([]byte(pair[1].(string)), &want); err != nil {
			t.Fatal(err)
		}
		if g, w := fmt.Sprint(pair[0]), fmt.Sprint(want); g != w {
			t.Errorf("%s schema over tools/list: %s, want %s", what, g, w)
		}
	}
}

func addToolPanic(tool *mcp.Tool) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	mcp.NewServer(&mcp.Implementation{Name: "s", Version: "1"}, nil).AddTool(tool,
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) { return nil, nil })
	return ""
}
