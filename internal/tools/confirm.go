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
// state goes out as the result's RequestState and must come back with them.
type inputRequired struct {
	requests mcp.InputRequestMap
	state    string
}

func (*inputRequired) Error() string { return "input required" }

// ask gets the user's consent for a destructive action when the client can
// ask its user. It is called after every local check and before any request,
// so nothing happens before the answer. A client without elicitation is
// never taken as consent: the confirm arguments, already checked, stand.
//
// An answer counts only with the request state of the question it answers
// (see Consent); any other "confirm" response, such as one sent with the
// first call, is ignored and the user is asked.
func (c *call) ask(what string) error {
	if c.rendersApps() { // the person confirms on a card instead (appcard.go)
		return c.card(sentence(what) + ".")
	}
	if !c.canElicit() {
		return nil
	}
	q := question{session: c.req.Session.ID(), tool: c.questionTool(), args: argsHash(c.req.Params.Arguments),
		text: sentence(what) + "?"}
	if resp, ok := c.req.Params.InputResponses[confirmKey]; ok {
		err := c.consent.redeem(c.req.Params.RequestState, q)
		if err == nil {
			return answer(resp, q.text)
		}
		if c.Logger != nil {
			c.Logger.Debug("ignored a confirmation the server did not ask for; asking the user", "tool", q.tool, "reason", err)
		}
	}
	return &inputRequired{
		requests: mcp.InputRequestMap{confirmKey: &mcp.ElicitParams{
			Message:         q.text,
			RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}},
		}},
		state: c.consent.issue(q),
	}
}

// answer turns the user's answer to the question into go (nil) or a refusal.
func answer(resp mcp.InputResponse, question string) error {
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
