package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// listOut is a Proxmox list, a page of it when the tool pages; its text is
// the bare array, its structured content {"items": [...], "total": n}
// (structured content must be an object). A cut list says so in a second
// text block, for clients that read only text.
type listOut struct {
	Items  []json.RawMessage `json:"items"`
	Total  int               `json:"total"`
	Offset int               `json:"offset,omitempty"`
	Next   int               `json:"next,omitempty"` // the offset of the next page
	note   string
}

func (l listOut) text() any { return l.Items }

// encode writes the items once for both copies: they are already compact
// JSON, so nothing is parsed again. The text is built as a string, not
// copied into one: a full listing of a big cluster is megabytes.
func (l listOut) encode() (structured []byte, text string) {
	size := 2
	for _, it := range l.Items {
		size += len(it) + 1
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteByte('[')
	for i, it := range l.Items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteByte(']')
	text = b.String()
	structured = make([]byte, 0, min(len(text), structuredItemsMax)+64)
	if len(text) <= structuredItemsMax {
		structured = append(structured, `{"items":`...)
		structured = append(structured, text...)
		structured = append(structured, ',')
	} else {
		structured = fmt.Appendf(structured, `{"count":%d,`, len(l.Items))
	}
	structured = fmt.Appendf(structured, `"total":%d`, l.total())
	if l.Offset > 0 {
		structured = fmt.Appendf(structured, `,"offset":%d`, l.Offset)
	}
	if l.Next > 0 {
		structured = fmt.Appendf(structured, `,"next":%d`, l.Next)
	}
	return append(structured, '}'), text
}

// structuredItemsMax is the largest list whose items the structured
// content repeats. Past it the copy does not earn its bytes: it doubles
// what is sent and parsed (measured: 6.4 MB instead of 3.2 MB, and about
// twice the encoding time, for 10 000 guests) for items the text block
// already holds as the same JSON array; a client that wants them
// structured pages with limit.
const structuredItemsMax = 256 << 10

// total is the items' count for lists built without a pager.
func (l listOut) total() int { return max(l.Total, l.Offset+len(l.Items)) }

func (l listOut) attachments() []mcp.Content {
	if l.note == "" {
		return nil
	}
	return []mcp.Content{&mcp.TextContent{Text: l.note}}
}

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
		Type: "object",
		Properties: map[string]*jsonschema.Schema{
			"items":  {Type: "array", Description: itemDesc + "; over 256 KiB only in the text, with count", Items: item},
			"count":  {Type: "integer", Description: "items on this page, when items is left out"},
			"total":  {Type: "integer", Description: "items that match, on all pages"},
			"offset": {Type: "integer", Description: "items skipped before this page"},
			"next":   {Type: "integer", Description: "offset of the next page; absent on the last"},
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
