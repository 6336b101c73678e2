package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The patched go-sdk quotes a tool result's text by hand (PATCHES.md
// section 9): the bytes must stay json.Marshal's, HTML escapes, U+2028
// and invalid UTF-8 included.
func TestSDKTextQuotedAsEncodingJSON(t *testing.T) {
	texts := []string{"", `items: [{"vmid":100,"name":"a<b>&c"}]`, "\x00\x1f\x7f\b\f\n\r\t\\", "\u2028\u2029 é中😀",
		"\xff\xfe\xc3 bad", strings.Repeat(`{"k":"v"}`+"\n", 1000)}
	for c := range 256 {
		texts = append(texts, string([]byte{'x', byte(c), 'y'}))
	}
	for _, s := range texts {
		got, err := json.Marshal(&mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}})
		if err != nil {
			t.Fatal(err)
		}
		quoted, _ := json.Marshal(s)
		if want := `{"content":[{"type":"text","text":` + string(quoted) + `}]}`; string(got) != want {
			t.Errorf("%q:\n got %s\nwant %s", s, got, want)
		}
	}
}
