package tools

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// confirmKey names our one input request: the user's yes or no.
const confirmKey = "confirm"

// inputRequired asks the client for input before the handler can go on; the
// SDK calls the handler again with the answers (directly, or on older
// clients by eliciting on our behalf and running the handler a second time).
type inputRequired struct{ requests mcp.InputRequestMap }

func (*inputRequired) Error() string { return "input required" }

// ask gets the user's consent for a destructive action when the client can
// ask its user. It is called after every local check and before any request,
// so nothing happens before the answer. A client without elicitation is
// never taken as consent: the confirm arguments, already checked, stand.
func (c *call) ask(what string) error {
	if !c.canElicit() {
		return nil
	}
	question := sentence(what) + "?"
	if resp, ok := c.req.Params.InputResponses[confirmKey]; ok {
		r, _ := resp.(*mcp.ElicitResult)
		if r != nil && r.Action == "accept" {
			return nil
		}
		action := "no answer"
		if r != nil {
			action = r.Action
		}
		return fmt.Errorf("%w: nothing was done: the user declined (%s) when asked: %s", errRefused, action, question)
	}
	return &inputRequired{requests: mcp.InputRequestMap{confirmKey: &mcp.ElicitParams{
		Message:         question,
		RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}},
	}}}
}

func (c *call) canElicit() bool {
	if c.req == nil || c.req.Session == nil || c.req.Params == nil {
		return false
	}
	ip := c.req.Session.InitializeParams()
	if ip == nil || ip.Capabilities == nil || ip.Capabilities.Elicitation == nil {
		return false
	}
	e := ip.Capabilities.Elicitation
	return e.Form != nil || e.URL == nil // neither set means form, for older clients
}

func sentence(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return strings.TrimSuffix(string(r), ".")
}
