package httpserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// JSON-RPC error codes of the refusals made here, before the SDK.
const (
	codeInvalidRequest = -32600 // JSON-RPC's own: batches
	codeLimit          = -32000 // JSON-RPC's range for server errors: our limits
)

// batchMessage is the answer to a JSON-RPC batch.
const batchMessage = "JSON-RPC batches are not supported: send one request per POST"

type messageKind int

const (
	// kindRequest is a call the server answers; anything unreadable is taken
	// as one too, so it counts against the limits (the SDK then refuses it).
	kindRequest messageKind = iota
	kindNotification
	kindResponse // the client's answer to a server request (elicitation)
)

// message is what the limits need of a POST body, which holds exactly one
// JSON-RPC message once batches are refused.
type message struct {
	kind   messageKind
	id     json.RawMessage // for the error answers; nil: null
	method string
	params json.RawMessage // a request's, for version
}

// version is the protocol version a 2026-07-28 request declares in its
// _meta; "" for the earlier protocols, which negotiate it once. Read only
// where it decides something (stateless, server/discover), not per POST.
func (m message) version() string { return metaVersion(m.params) }

// isBatch tells whether a body is a JSON-RPC batch (a JSON array), from its
// first non-whitespace byte, without parsing it.
func isBatch(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '['
}

// peekMessage classifies a single message with the SDK's own decoder, so it
// sees what the SDK will see. Anything unreadable counts as a request (the
// SDK then refuses it), so nothing escapes the limits.
func peekMessage(body []byte) message {
	m, err := jsonrpc.DecodeMessage(body)
	if err != nil {
		return message{kind: kindRequest}
	}
	switch m := m.(type) {
	case *jsonrpc.Request:
		if !m.ID.IsValid() {
			return message{kind: kindNotification, method: m.Method}
		}
		var id json.RawMessage
		switch raw := m.ID.Raw().(type) {
		case int64: // most clients': without json.Marshal's reflection
			id = strconv.AppendInt(nil, raw, 10)
		default: // a string
			var err error
			if id, err = json.Marshal(raw); err != nil {
				id = nil
			}
		}
		return message{kind: kindRequest, id: id, method: m.Method, params: m.Params}
	case *jsonrpc.Response:
		return message{kind: kindResponse}
	}
	return message{kind: kindRequest}
}

// metaVersion reads _meta's protocol version from a request's params.
// _meta's values stay raw: a 2026-07-28 client sends its capabilities and
// clientInfo there with every request, and building maps of them was most
// of the cost of this peek. Keys match exactly, as a map's do.
func metaVersion(params json.RawMessage) string {
	var p struct {
		Meta map[string]json.RawMessage `json:"_meta"`
	}
	if len(params) == 0 || json.Unmarshal(params, &p) != nil {
		return ""
	}
	var v string
	if json.Unmarshal(p.Meta[mcp.MetaKeyProtocolVersion], &v) != nil {
		return "" // not a string
	}
	return v
}

// writeRPCError answers with an HTTP status and a JSON-RPC error body that
// clients can show.
func writeRPCError(w http.ResponseWriter, status int, id json.RawMessage, code int, text string) {
	writeRPCErrorData(w, status, id, code, text, nil)
}

// writeRPCErrorData is writeRPCError with the error's data member.
func writeRPCErrorData(w http.ResponseWriter, status int, id json.RawMessage, code int, text string, data json.RawMessage) {
	type rpcError struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data,omitempty"`
	}
	body, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"` // nil marshals as null
		Error   rpcError        `json:"error"`
	}{"2.0", id, rpcError{code, text, data}})
	writeJSON(w, status, body)
}

// writeToolError answers a tools/call with a tool error the model reads, as
// the SDK would have.
func writeToolError(w http.ResponseWriter, id json.RawMessage, text string) {
	body, err := json.Marshal(struct {
		JSONRPC string              `json:"jsonrpc"`
		ID      json.RawMessage     `json:"id"`
		Result  *mcp.CallToolResult `json:"result"`
	}{"2.0", id, &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: text}}}})
	if err != nil { // cannot happen for a text result; answer plainly all the same
		writeRPCError(w, http.StatusTooManyRequests, id, codeLimit, text)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
