package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// listOut is a Proxmox list as it comes; its text is the bare array, its
// structured content {"items": [...]} (structured content must be an object).
type listOut struct {
	Items []json.RawMessage `json:"items"`
}

func (l listOut) text() any { return l.Items }

// objectOut is a Proxmox object as it comes.
type objectOut = json.RawMessage

// taskOut reports a write that ran as a Proxmox task, once the task stopped.
type taskOut struct {
	Action     string `json:"action"`
	Node       string `json:"node,omitempty"`
	VMID       int    `json:"vmid,omitempty"`
	From       int    `json:"from,omitempty"`
	To         int    `json:"to,omitempty"`
	Target     string `json:"target,omitempty"`
	Storage    string `json:"storage,omitempty"`
	Snapname   string `json:"snapname,omitempty"`
	Filename   string `json:"filename,omitempty"`
	Iface      string `json:"iface,omitempty"`
	UPID       string `json:"upid"`
	Status     string `json:"status,omitempty"`     // "running" when async
	ExitStatus string `json:"exitStatus,omitempty"` // absent while running (async)
	// Warnings are the last pve.TailLines WARN: lines; WarningCount counts
	// them all and More says how to read the rest.
	Warnings     []string `json:"warnings,omitempty"`
	WarningCount int      `json:"warningCount,omitempty"`
	More         string   `json:"more,omitempty"`
}

// syncOut reports a write that Proxmox answered at once.
type syncOut struct {
	Action string          `json:"action"`
	Node   string          `json:"node,omitempty"`
	VMID   int             `json:"vmid,omitempty"`
	Result json.RawMessage `json:"result"`
}

// okResult is Proxmox's answer, or "ok" for null.
func okResult(raw json.RawMessage) json.RawMessage {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return json.RawMessage(`"ok"`)
	}
	return raw
}

// listSchema describes a Proxmox list; fields ("name: meaning") document the
// main item fields without fixing their JSON types, which vary between
// Proxmox releases (numbers sometimes come as strings).
func listSchema(itemDesc string, fields ...string) *jsonschema.Schema {
	item := &jsonschema.Schema{Type: "object", Properties: documented(fields)}
	return &jsonschema.Schema{
		Type:     "object",
		Required: []string{"items"},
		Properties: map[string]*jsonschema.Schema{
			"items": {Type: "array", Description: itemDesc, Items: item},
		},
	}
}

func objectSchema(desc string, fields ...string) *jsonschema.Schema {
	return &jsonschema.Schema{Type: "object", Description: desc, Properties: documented(fields)}
}

func documented(fields []string) map[string]*jsonschema.Schema {
	if len(fields) == 0 {
		return nil
	}
	props := map[string]*jsonschema.Schema{}
	for _, f := range fields {
		name, desc, _ := strings.Cut(f, ": ")
		props[name] = &jsonschema.Schema{Description: desc}
	}
	return props
}

// entry holds the fields lists are filtered by.
type entry struct {
	Node string  `json:"node"`
	VMID pve.Int `json:"vmid"`
	Type string  `json:"type"`
	ID   string  `json:"id"`
}

// filter keeps the items keep accepts; items are compacted on the way.
func filter(items []json.RawMessage, keep func(e entry) bool) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		var e entry
		if err := json.Unmarshal(it, &e); err != nil {
			return nil, fmt.Errorf("decode list entry: %w", err)
		}
		if keep(e) {
			out = append(out, compact(it))
		}
	}
	return out, nil
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
