package stdio

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

func TestParseRejects(t *testing.T) {
	for _, c := range []struct {
		line string
		code int64
		id   string
		msg  string
	}{
		{`not json`, codeParse, "null", "not JSON"},
		{`{"jsonrpc":"2.0","id":7,"method":"tools/li`, codeParse, "7", "not JSON"},
		{`{"jsonrpc":"2.0","id":"a\"b","method":`, codeParse, `"a\"b"`, "not JSON"},
		{`{"jsonrpc":"2.0","id":12`, codeParse, "null", "not JSON"}, // 12 may be the start of 123
		{`{"params":{"x":[1,{"id":9}]},"id":8,"method":`, codeParse, "8", "not JSON"},
		{`{"id":true,"method":`, codeParse, "null", "not JSON"},
		{`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, codeInvalidRequest, "null", "batches are not supported"},
		{`[]`, codeInvalidRequest, "null", "batches are not supported"},
		{`"ping"`, codeInvalidRequest, "null", "must be a JSON object"},
		{`null`, codeInvalidRequest, "null", "must be a JSON object"},
		{`{"id":1,"method":"ping"}`, codeInvalidRequest, "1", `"jsonrpc" must be "2.0"`},
		{`{"jsonrpc":2,"id":"x","method":"ping"}`, codeInvalidRequest, `"x"`, `"jsonrpc" must be "2.0"`},
		{`{"JSONRPC":"2.0","id":1,"method":"ping"}`, codeInvalidRequest, "1", `"jsonrpc" must be "2.0"`},
		{`{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, codeInvalidRequest, "null", `"id" must be a string or an integer`},
		{`{"jsonrpc":"2.0","id":[1],"method":"ping"}`, codeInvalidRequest, "null", `"id" must be a string or an integer`},
		{`{"jsonrpc":"2.0","id":1e300,"method":"ping"}`, codeInvalidRequest, "null", `"id" must be a string or an integer`},
		{`{"jsonrpc":"2.0","id":null,"method":"ping"}`, codeInvalidRequest, "null", "must not be null"},
		{`{"jsonrpc":"2.0","id":3,"method":null}`, codeInvalidRequest, "3", `"method" must be a string`},
		{`{"jsonrpc":"2.0","id":3}`, codeInvalidRequest, "3", `no "method"`},
		{`{"jsonrpc":"2.0"}`, codeInvalidRequest, "null", `no "method"`},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}`, 0, "null", "dropped"},
		{`{"jsonrpc":"2.0","result":{}}`, 0, "null", "dropped"},
		{`{"jsonrpc":"2.0","id":4,"method":"ping","params":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}`,
			codeInvalidRequest, "4", "depth"},
	} {
		msg, rej := parse([]byte(c.line))
		if msg != nil || rej == nil {
			t.Errorf("%s: accepted as %#v", c.line, msg)
			continue
		}
		if rej.code != c.code || string(orNull(rej.id)) != c.id || !strings.Contains(rej.msg, c.msg) {
			t.Errorf("%s: got %d %s %q, want %d %s %q", c.line, rej.code, orNull(rej.id), rej.msg, c.code, c.id, c.msg)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	if msg, rej := parse([]byte("  \t\r")); msg != nil || rej != nil {
		t.Errorf("blank line: %v %v", msg, rej)
	}
	for _, c := range []struct {
		line string
		call bool
		resp bool
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"ping"}`, true, false},
		{` {"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"},"extra":1} `, true, false},
		{`{"jsonrpc":"2.0","id":2.0,"method":"ping"}`, true, false},
		{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, false, false},
		{`{"jsonrpc":"2.0","id":5,"result":{}}`, false, true},
		{`{"jsonrpc":"2.0","id":"s","error":{"code":1,"message":"no"}}`, false, true},
	} {
		msg, rej := parse([]byte(c.line))
		if rej != nil {
			t.Errorf("%s: refused: %s", c.line, rej.msg)
			continue
		}
		req, isReq := msg.(*jsonrpc.Request)
		_, isResp := msg.(*jsonrpc.Response)
		if isResp != c.resp || isReq && req.IsCall() != c.call {
			t.Errorf("%s: decoded as %#v", c.line, msg)
		}
	}
}

func TestErrorReplyCarriesNullID(t *testing.T) {
	data, err := (&rejection{codeParse, nil, "parse error"}).encode()
	if err != nil || string(data) != `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}` {
		t.Fatalf("%s %v", data, err)
	}
}

func TestNextLine(t *testing.T) {
	const limit = 10
	in := "short\r\n" + "0123456789\n" + "0123456789A\n" + strings.Repeat("y", 200) + "\n\n" + "last"
	br := bufio.NewReaderSize(strings.NewReader(in), 16) // lines span several buffers
	want := []line{{data: []byte("short")}, {data: []byte("0123456789")}, {data: []byte("0123456789"), tooLong: true},
		{data: []byte(strings.Repeat("y", limit)), tooLong: true}, {data: []byte{}}, {data: []byte("last")}}
	for i, w := range want {
		l, err := nextLine(br, limit)
		if string(l.data) != string(w.data) || l.tooLong != w.tooLong {
			t.Errorf("line %d: got %q %v, want %q %v", i, l.data, l.tooLong, w.data, w.tooLong)
		}
		if last := i == len(want)-1; last != errors.Is(err, io.EOF) || err != nil && !last {
			t.Errorf("line %d: err %v", i, err)
		}
	}
}
