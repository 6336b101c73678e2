package tools

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/execallow"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Files inside VMs through the guest agent, under PVE_AGENT_FILE_ALLOWLIST
// (judged by the request guard).

const (
	defaultFileRead = 64 << 10
	maxFileRead     = 1 << 20
)

type fileReadArgs struct {
	Node     NodeName  `json:"node"`
	VMID     VMID      `json:"vmid"`
	File     GuestPath `json:"file"`
	MaxBytes int       `json:"maxBytes,omitempty" minimum:"1" maximum:"1048576" default:"65536" jsonschema:"read at most this many bytes"`
	Offset   int       `json:"offset,omitempty" minimum:"0" jsonschema:"start at this byte (PVE 9.1+)"`
}

type fileReadOut struct {
	Node      string `json:"node"`
	VMID      int    `json:"vmid"`
	File      string `json:"file"`
	Content   string `json:"content"`
	Encoding  string `json:"encoding" jsonschema:"text, or base64 for binary content"`
	Bytes     int    `json:"bytes" jsonschema:"bytes read"`
	Truncated bool   `json:"truncated" jsonschema:"the file goes on past what was read"`
	Note      string `json:"note,omitempty"`
}

type fileWriteArgs struct {
	Node    NodeName  `json:"node"`
	VMID    VMID      `json:"vmid"`
	File    GuestPath `json:"file"`
	Content string    `json:"content" maxLength:"61440" jsonschema:"the new content (text, or base64 with base64: true)"`
	Base64  bool      `json:"base64,omitempty" jsonschema:"content is base64-encoded bytes"`
	Verify  bool      `json:"verify,omitempty" jsonschema:"read the file back and compare"`
	Confirm bool      `json:"confirm,omitempty"`
}

func (a fileWriteArgs) confirmedByArg() bool { return a.Confirm }

type fileWriteOut struct {
	Node     string `json:"node"`
	VMID     int    `json:"vmid"`
	File     string `json:"file"`
	Bytes    int    `json:"bytes" jsonschema:"bytes written"`
	Verified *bool  `json:"verified,omitempty" jsonschema:"with verify: the file read back the same"`
	Note     string `json:"note,omitempty"`
}

func filesOff(verb string) error {
	return fmt.Errorf("%w: file %ss through the guest agent are off: PVE_AGENT_FILE_ALLOWLIST names no path. The server's admin turns them on "+
		"by listing absolute paths separated by ';' (* within one path element, a last /** everything below), with ro: before paths "+
		"that may only be read; e.g. PVE_AGENT_FILE_ALLOWLIST='ro:/var/log/**; /etc/motd'", errRefused, verb)
}

func checkGuestPath(p GuestPath) error {
	if err := execallow.CheckPath(string(p)); err != nil {
		return fmt.Errorf("invalid argument \"file\": %q: %v", p, err)
	}
	return nil
}

func agentFileRead(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_agent_file_read", title: "Read file in VM", toolset: "agent", effect: ReadOnly,
		desc: "Read a file inside a VM through the guest agent (bounded by maxBytes); the path must be in PVE_AGENT_FILE_ALLOWLIST."},
		handle(func(ctx context.Context, c *call, in fileReadArgs) (fileReadOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return fileReadOut{}, err
			}
			if c.Guard.Files().Empty() {
				return fileReadOut{}, filesOff("read")
			}
			if err := checkGuestPath(in.File); err != nil {
				return fileReadOut{}, err
			}
			max := in.MaxBytes
			if max <= 0 {
				max = defaultFileRead
			}
			out := fileReadOut{Node: string(in.Node), VMID: int(in.VMID), File: string(in.File), Encoding: "text"}
			data, truncated, err := c.readGuestFile(ctx, in.Node, in.VMID, string(in.File), in.Offset, max)
			if err != nil {
				return out, err
			}
			out.Bytes, out.Truncated = len(data), truncated
			if utf8.Valid(data) {
				out.Content = string(data)
			} else {
				out.Content, out.Encoding = base64.StdEncoding.EncodeToString(data), "base64"
			}
			if truncated {
				out.Note = fmt.Sprintf("the file goes on after byte %d: raise maxBytes (up to %d) or read on with offset: %d (PVE 9.1+)",
					in.Offset+len(data), maxFileRead, in.Offset+len(data))
			}
			return out, nil
		}))
}

// readGuestFile reads up to max bytes of a guest file from offset. Releases
// with file-read's count read max+1 bytes, base64-encoded so binary content
// survives; older ones send the whole file (up to 16 MiB) as text and it is
// cut here. truncated: the file holds more than was returned.
func (c *call) readGuestFile(ctx context.Context, node NodeName, vmid VMID, file string, offset, max int) ([]byte, bool, error) {
	path := qemuKind.path(node, vmid, "agent", "file-read")
	q := url.Values{"file": {file}}
	counted := c.PVE.HasParam(ctx, "GET", path, "count")
	if counted {
		q.Set("count", strconv.Itoa(max+1))
		q.Set("decode", "0")
	}
	if offset > 0 {
		if !c.PVE.HasParam(ctx, "GET", path, "offset") {
			return nil, false, fmt.Errorf("invalid argument \"offset\": this Proxmox release reads files from the start only (offset came with PVE 9.1); leave it out")
		}
		q.Set("offset", strconv.Itoa(offset))
	}
	var r struct {
		Content   string   `json:"content"`
		Truncated pve.Flag `json:"truncated"`
	}
	if err := c.PVE.Get(ctx, path, q, &r); err != nil {
		if errors.Is(err, errRefused) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("read %s in VM %d: %s", file, vmid, c.agentError(ctx, node, vmid, err))
	}
	data := []byte(r.Content)
	if counted {
		b, err := decodeChunks(r.Content)
		if err != nil {
			return nil, false, fmt.Errorf("read %s in VM %d: Proxmox's content is not base64: %w", file, vmid, err)
		}
		data = b
	}
	truncated := bool(r.Truncated) && !counted
	if len(data) > max {
		data, truncated = data[:max], true
	}
	return data, truncated, nil
}

// decodeChunks decodes base64 that Proxmox joined from one encoding per
// 1 MiB read, so padding may come in the middle.
func decodeChunks(s string) ([]byte, error) {
	var out []byte
	for s != "" {
		end := strings.IndexByte(s, '=')
		if end < 0 {
			end = len(s)
		}
		for end < len(s) && s[end] == '=' {
			end++
		}
		b, err := base64.StdEncoding.DecodeString(s[:end])
		if err != nil {
			return nil, err
		}
		out, s = append(out, b...), s[end:]
	}
	return out, nil
}

func agentFileWrite(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_agent_file_write", title: "Write file in VM", toolset: "exec", effect: Destructive,
		desc: "Write (replace) a file inside a VM through the guest agent; the path must be in PVE_AGENT_FILE_ALLOWLIST. Needs confirm: true."},
		handle(func(ctx context.Context, c *call, in fileWriteArgs) (fileWriteOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return fileWriteOut{}, err
			}
			if c.Guard.Files().Empty() {
				return fileWriteOut{}, filesOff("write")
			}
			if err := checkGuestPath(in.File); err != nil {
				return fileWriteOut{}, err
			}
			data := []byte(in.Content)
			form := url.Values{"file": {string(in.File)}, "content": {in.Content}}
			if in.Base64 {
				b, err := base64.StdEncoding.DecodeString(in.Content)
				if err != nil {
					return fileWriteOut{}, fmt.Errorf("invalid argument \"content\": not base64 (%v); send text with base64: false", err)
				}
				data = b
				form.Set("encode", "0")
			}
			out := fileWriteOut{Node: string(in.Node), VMID: int(in.VMID), File: string(in.File), Bytes: len(data)}
			if err := c.confirm(in.Confirm, fmt.Sprintf("write %d bytes to %s in VM %d on %s, replacing the file if it exists",
				len(data), in.File, in.VMID, in.Node)); err != nil {
				return out, err
			}
			what := fmt.Sprintf("write %s in VM %d on %s", in.File, in.VMID, in.Node)
			if err := c.PVE.Post(ctx, qemuKind.path(in.Node, in.VMID, "agent", "file-write"), form, nil); err != nil {
				return out, c.agentWriteError(ctx, in.Node, in.VMID, what, err, "pve_vm_agent_file_read of "+string(in.File))
			}
			if !in.Verify {
				return out, nil
			}
			got, _, err := c.readGuestFile(ctx, in.Node, in.VMID, string(in.File), 0, len(data)+1)
			ok := err == nil && bytes.Equal(got, data)
			out.Verified = &ok
			switch {
			case err != nil:
				out.Note = "written (Proxmox answered OK), but reading it back failed: " + err.Error()
			case !ok:
				out.Note = fmt.Sprintf("written (Proxmox answered OK), but it reads back as %d different bytes", len(got))
			}
			return out, nil
		}))
}
