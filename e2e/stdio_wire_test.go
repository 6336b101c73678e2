package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The stdio server survives any line: each bad one gets an error reply and
// the session goes on, as over HTTP.

func TestStdioGarbageLine(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.02))
	r.send("this is not JSON\n")
	r.expectError("null", -32700, "not JSON")
	r.send(ping("2"))
	r.expectResult("2")
}

func TestStdioInvalidMessages(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.02))
	for _, c := range []struct {
		name, line, id, contains string
	}{
		{"no jsonrpc field", `{"id":3,"method":"ping"}`, "3", `\"jsonrpc\" must be \"2.0\"`},
		{"wrong version", `{"jsonrpc":"1.0","id":"v","method":"ping"}`, `"v"`, `\"jsonrpc\" must be \"2.0\"`},
		{"no method", `{"jsonrpc":"2.0","id":4}`, "4", `no \"method\"`},
		{"method not a string", `{"jsonrpc":"2.0","id":5,"method":7}`, "5", `\"method\" must be a string`},
		{"id an object", `{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, "null", `\"id\" must be a string or an integer`},
		{"id a fraction", `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, "null", `\"id\" must be a string or an integer`},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, "null", `must not be null`},
		{"not an object", `42`, "null", "must be a JSON object"},
	} {
		r.send(c.line + "\n")
		r.expectError(c.id, -32600, c.contains)
		r.send(ping(`"after ` + c.name + `"`))
		r.expectResult(`"after ` + c.name + `"`)
	}
}

func TestStdioBatchRefused(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.02))
	r.send(`[{"jsonrpc":"2.0","id":6,"method":"ping"},{"jsonrpc":"2.0","id":7,"method":"ping"}]` + "\n")
	r.expectError("null", -32600, "batches are not supported")
	r.send(ping("8"))
	r.expectResult("8")
}

// TestStdioBadLineBetweenGoodOnes: one write, three lines; the valid
// requests around the bad one are answered, in order. The SDK runs
// initialize alone, so its answer comes before the ping's; the error reply
// is written as soon as the line is read, so it may come anywhere.
func TestStdioBadLineBetweenGoodOnes(t *testing.T) {
	t.Parallel()
	r := startProcess(t, newCluster(t, 0.02))
	r.send(initialize("10") + "{oops\n" + ping("11"))
	var order []string
	for range 3 {
		m := r.reply(20 * time.Second)
		switch {
		case m.id() == "null" && m.errorCode() == -32700:
			order = append(order, "error")
		case m["result"] != nil:
			order = append(order, m.id())
		default:
			t.Fatalf("unexpected reply %v", m)
		}
	}
	valid := slices.DeleteFunc(slices.Clone(order), func(s string) bool { return s == "error" })
	if len(order) != 3 || !slices.Equal(valid, []string{`"10"`, "11"}) {
		t.Fatalf("replies %q, want the error and results for \"10\" then 11", order)
	}
}

// TestStdioOverlongLine: a valid request over the 4 MiB limit is refused by
// its id, and the reader resumes at the next line.
func TestStdioOverlongLine(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.02))
	pad := strings.Repeat("x", 5<<20)
	r.send(`{"jsonrpc":"2.0","id":12,"method":"ping","params":{"_meta":{"pad":"` + pad + `"}}}` + "\n" + ping("13"))
	r.expectError("12", -32600, "longer than 4194304 bytes")
	r.expectResult("13")
	// One with its id at the end: refused with a null id.
	r.send(`{"jsonrpc":"2.0","method":"ping","params":{"_meta":{"pad":"` + pad + `"}},"id":14}` + "\n")
	r.expectError("null", -32600, "longer than")
	r.send(ping("15"))
	r.expectResult("15")
}

// TestStdioTruncatedLine: a request cut short (a client that died mid-write)
// is a parse error naming its id; the next line is read afresh.
func TestStdioTruncatedLine(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.02))
	r.send(`{"jsonrpc":"2.0","id":16,"method":"tools/list","para` + "\n")
	r.expectError("16", -32700, "not JSON")
	r.send(`{"jsonrpc":"2.0","id":17,"method":"tools/li`) // no newline yet
	time.Sleep(100 * time.Millisecond)
	r.send("\n" + ping("18"))
	r.expectError("17", -32700, "not JSON")
	r.expectResult("18")
}

// TestStdioErrorsHaveCodes: the SDK's own refusals of a call before
// initialize and of a second initialize carry JSON-RPC codes, not 0.
func TestStdioErrorsHaveCodes(t *testing.T) {
	t.Parallel()
	r := startProcess(t, newCluster(t, 0.02))
	r.send(`{"jsonrpc":"2.0","id":20,"method":"tools/list"}` + "\n")
	r.expectError("20", -32600, "during session initialization")
	r.send(initialize("21"))
	r.expectResult(`"21"`)
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	r.send(initialize("22"))
	r.expectError(`"22"`, -32600, "already initialized")
	r.send(`{"jsonrpc":"2.0","id":23,"method":"nosuch/list"}` + "\n")
	r.expectError("23", -32601, "nosuch/list")
	r.send(ping("24"))
	r.expectResult("24")
}
