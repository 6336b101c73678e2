package stdio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// line is one line of input without its line ending. A line over the limit
// keeps only its first limit bytes, enough to read an id that comes early.
type line struct {
	data    []byte
	tooLong bool
}

// nextLine reads up to the next newline, holding at most limit bytes (plus a
// line ending) however long the line is, so the stream stays in sync.
func nextLine(br *bufio.Reader, limit int) (line, error) {
	var l line
	for {
		chunk, err := br.ReadSlice('\n')
		if !l.tooLong {
			l.data = append(l.data, chunk...)
			if len(l.data) > limit+2 { // +2: room for "\r\n"
				l.data, l.tooLong = l.data[:limit], true
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if !l.tooLong {
			l.data = bytes.TrimSuffix(l.data, []byte("\n"))
			l.data = bytes.TrimSuffix(l.data, []byte("\r"))
			if len(l.data) > limit {
				l.data, l.tooLong = l.data[:limit], true
			}
		}
		return l, err
	}
}

// rejection is the error reply to a line that is not a message the SDK can
// take. Code 0 means no reply at all (a broken response cannot be answered).
type rejection struct {
	code int64
	id   json.RawMessage // null when the line gave none that can be trusted
	msg  string
}

const (
	codeParse          = jsonrpc.CodeParseError
	codeInvalidRequest = jsonrpc.CodeInvalidRequest
	// codeShuttingDown is jsonrpc2's "server is closing" code.
	codeShuttingDown = -32004
)

var null = json.RawMessage("null")

// parse checks one line and decodes it as the SDK would. It returns a nil
// message and a nil rejection for a blank line.
func parse(data []byte) (jsonrpc.Message, *rejection) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	// Unmarshal checks the whole line before decoding, so a syntax error
	// means the line is not JSON: one pass for both.
	var fields map[string]json.RawMessage
	err := json.Unmarshal(data, &fields)
	if syntax := (*json.SyntaxError)(nil); errors.As(err, &syntax) {
		return nil, &rejection{codeParse, scanID(data), fmt.Sprintf("parse error: the line is not JSON (%v)", err)}
	}
	switch data[0] {
	case '{':
	case '[':
		return nil, &rejection{codeInvalidRequest, null, "invalid request: batches are not supported; send one JSON-RPC message per line"}
	default:
		return nil, &rejection{codeInvalidRequest, null, "invalid request: a message must be a JSON object"}
	}
	if err != nil {
		return nil, &rejection{codeParse, null, "parse error: " + err.Error()}
	}
	rawID, hasID := fields["id"]
	id, idErr := readID(rawID)
	if hasID && idErr != nil {
		return nil, &rejection{codeInvalidRequest, null, "invalid request: " + idErr.Error()}
	}
	if !isVersion2(fields["jsonrpc"]) {
		return nil, &rejection{codeInvalidRequest, id, `invalid request: "jsonrpc" must be "2.0"`}
	}
	method, hasMethod := fields["method"]
	_, hasResult := fields["result"]
	_, hasError := fields["error"]
	switch {
	case hasMethod:
		if len(method) == 0 || method[0] != '"' {
			return nil, &rejection{codeInvalidRequest, id, `invalid request: "method" must be a string`}
		}
		if hasID && string(id) == "null" {
			return nil, &rejection{codeInvalidRequest, null, `invalid request: a request's "id" must not be null`}
		}
	case hasResult || hasError:
		if !hasID || string(id) == "null" {
			// The client's report of a message it could not read: answering
			// it could loop, so it is only logged.
			return nil, &rejection{0, null, "response without an id dropped"}
		}
	default:
		return nil, &rejection{codeInvalidRequest, orNull(id), `invalid request: no "method" (and no "result" or "error" of a response)`}
	}
	msg, err := jsonrpc.DecodeMessage(data)
	if err != nil {
		return nil, &rejection{codeInvalidRequest, orNull(id), "invalid request: " + err.Error()}
	}
	return msg, nil
}

// isVersion2 reports whether raw is the JSON string "2.0", however escaped.
func isVersion2(raw json.RawMessage) bool {
	if string(raw) == `"2.0"` {
		return true
	}
	var version string
	return json.Unmarshal(raw, &version) == nil && version == "2.0"
}

func orNull(id json.RawMessage) json.RawMessage {
	if id == nil {
		return null
	}
	return id
}

// readID returns the id as it will be echoed: a string, an integer (MCP
// allows no fractions, and the SDK would truncate one) or null.
func readID(raw json.RawMessage) (json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	// raw is one valid JSON value: its first byte tells its kind, and a
	// number is its own json.Number (as a Decoder with UseNumber gives it).
	var v any
	switch raw[0] {
	case 'n':
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("read id: %w", err)
		}
		v = s
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		v = json.Number(raw)
	default:
		v = false // an object, an array or a boolean: not an id
	}
	return idValue(v)
}

func idValue(v any) (json.RawMessage, error) {
	switch v := v.(type) {
	case nil:
		return null, nil
	case string:
		return json.Marshal(v)
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, errors.New(`"id" must be a string or an integer`)
		}
		return json.RawMessage(strconv.FormatInt(int64(f), 10)), nil
	}
	return nil, errors.New(`"id" must be a string or an integer`)
}

// scanID reads the top-level "id" of a line that is not JSON as a whole,
// such as a truncated one. It trusts an id only when its value is complete,
// followed by ',' or '}': "12" may be the start of "123".
func scanID(data []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return null
	}
	for {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return null
		}
		if key != "id" {
			if skipValue(dec) != nil {
				return null
			}
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return null
		}
		rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")
		if len(rest) == 0 || rest[0] != ',' && rest[0] != '}' {
			return null
		}
		id, err := idValue(tok)
		if err != nil || id == nil {
			return null
		}
		return id
	}
}

// skipValue reads one value, however nested, from dec.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// errorReply is a JSON-RPC error response written by the transport itself;
// the SDK's encoder would leave out a null id, which the reply must carry.
type errorReply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (r *rejection) encode() ([]byte, error) {
	out := errorReply{JSONRPC: "2.0", ID: orNull(r.id)}
	out.Error.Code, out.Error.Message = r.code, r.msg
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode error reply: %w", err)
	}
	return data, nil
}
