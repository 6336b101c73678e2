package stdio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
)

// startupErrorCode is the JSON-RPC error code of every answer ServeStartupError
// gives: a server-defined error (the -32000 to -32099 range).
const startupErrorCode = -32000

// startupLineLimit bounds the lines read: an initialize is a few hundred bytes.
const startupLineLimit = 1 << 20

// ServeStartupError answers every request on in with an error carrying
// cause's text (which must hold no secret), until in ends or ctx is done, and
// then returns cause. A client that starts the server and sees it exit shows
// only "Failed to connect" or "Connection closed"; an error answer to its
// initialize shows the user what to fix (the variable and what it accepts).
func ServeStartupError(ctx context.Context, in io.Reader, out io.Writer, cause error) error {
	msg := "proxmox-mcp-server cannot start: " + cause.Error()
	lines := make(chan []byte)
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(in, 64<<10)
		for {
			l, err := nextLine(br, startupLineLimit)
			if len(l.data) > 0 && !l.tooLong {
				select {
				case lines <- l.data:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return cause
		case line, ok := <-lines:
			if !ok {
				return cause
			}
			for _, id := range requestIDs(line) {
				b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id,
					"error": map[string]any{"code": startupErrorCode, "message": msg}})
				if err != nil {
					continue
				}
				if _, err := out.Write(append(b, '\n')); err != nil {
					return cause
				}
			}
		}
	}
}

// requestIDs gives the ids of the requests in a line: one message or a batch
// (clients before 2025-06-18 may batch). Notifications and responses have
// none; a line that is not JSON has none either.
func requestIDs(line []byte) []json.RawMessage {
	type msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	var batch []msg
	line = bytes.TrimSpace(line)
	if len(line) > 0 && line[0] == '[' {
		if json.Unmarshal(line, &batch) != nil {
			return nil
		}
	} else {
		var m msg
		if json.Unmarshal(line, &m) != nil {
			return nil
		}
		batch = []msg{m}
	}
	var ids []json.RawMessage
	for _, m := range batch {
		if m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null" {
			ids = append(ids, m.ID)
		}
	}
	return ids
}
