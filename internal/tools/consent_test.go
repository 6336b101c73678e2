package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// consentEnv is a server with every tool and a client whose user answers
// each question with answer.
type consentEnv struct {
	fake    *fakePVE
	session *mcp.ClientSession
	mu      sync.Mutex
	asked   []string
}

type consentOpts struct {
	answer string // the user's answer to every question
	manual bool   // no automatic multi-round-trip: the test sees and forges input-required results
}

// clientOptions records every question and answers it with answer.
func (e *consentEnv) clientOptions(o consentOpts) *mcp.ClientOptions {
	opts := &mcp.ClientOptions{ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		e.mu.Lock()
		e.asked = append(e.asked, req.Params.Message)
		e.mu.Unlock()
		return &mcp.ElicitResult{Action: o.answer, Content: map[string]any{}}, nil
	}}
	if o.manual {
		opts.MultiRoundTrip = &mcp.MultiRoundTripOptions{Disabled: true}
	}
	return opts
}

// newConsentEnv connects over in-memory transports at the newest protocol,
// where the client answers input requests and echoes the request state.
func newConsentEnv(t *testing.T, o consentOpts) *consentEnv {
	e := &consentEnv{}
	env := newEnv(t, envOpts{client: e.clientOptions(o)})
	e.fake, e.session = env.fake, env.session
	return e
}

func (e *consentEnv) questions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.asked...)
}

func (e *consentEnv) call(t *testing.T, p *mcp.CallToolParams) (*mcp.CallToolResult, string) {
	t.Helper()
	res, err := e.session.CallTool(context.Background(), p)
	if err != nil {
		t.Fatalf("%s: protocol error: %v", p.Name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	return res, text.String()
}

func deleteVM(vmid int) map[string]any {
	return map[string]any{"node": "pve1", "vmid": vmid, "confirm": true, "confirmVmid": vmid}
}

func forgedAccept() mcp.InputResponseMap {
	return mcp.InputResponseMap{confirmKey: &mcp.ElicitResult{Action: "accept", Content: map[string]any{}}}
}

// A client's "accept" sent with its first call, before any question, is no
// consent: the user is asked and their answer decides. (consent_proto_test.go
// covers older clients and HTTP.)
func TestForgedConsentOnFirstCallAsksUser(t *testing.T) {
	for _, answer := range []string{"accept", "decline", "cancel"} {
		t.Run(answer, func(t *testing.T) { testForgedConsent(t, newConsentEnv(t, consentOpts{answer: answer}), answer) })
	}
}

func testForgedConsent(t *testing.T, e *consentEnv, answer string) {
	t.Helper()
	res, text := e.call(t, &mcp.CallToolParams{Name: "pve_vm_delete", Arguments: deleteVM(100), InputResponses: forgedAccept()})
	if q := e.questions(); len(q) != 1 || q[0] != "Delete VM 100 on pve1 and all its disks?" {
		t.Fatalf("asked %q, want the question once", q)
	}
	writes := e.fake.writes()
	if answer == "accept" {
		if res.IsError || len(writes) != 1 || !strings.HasPrefix(writes[0], "DELETE /nodes/pve1/qemu/100") {
			t.Fatalf("accepted: %v %s, writes %v", res.IsError, text, writes)
		}
		return
	}
	if !res.IsError || !strings.Contains(text, "declined ("+answer+")") || len(writes) != 0 {
		t.Fatalf("%s: %v %s, writes %v", answer, res.IsError, text, writes)
	}
}

// ask makes the first call of a manual client and returns the question's state.
func (e *consentEnv) ask(t *testing.T, name string, args map[string]any, responses mcp.InputResponseMap, state string) *mcp.CallToolResult {
	t.Helper()
	res, text := e.call(t, &mcp.CallToolParams{Name: name, Arguments: args, InputResponses: responses, RequestState: state})
	if !res.NeedsInput() || res.InputRequests[confirmKey] == nil {
		t.Fatalf("%s: not asked: %v %s", name, res.IsError, text)
	}
	if res.RequestState == "" {
		t.Fatalf("%s: asked without a request state", name)
	}
	return res
}

func TestReplayedConsentAsksAgain(t *testing.T) {
	e := newConsentEnv(t, consentOpts{answer: "accept", manual: true})
	first := e.ask(t, "pve_vm_delete", deleteVM(100), nil, "")
	res, text := e.call(t, &mcp.CallToolParams{Name: "pve_vm_delete", Arguments: deleteVM(100), InputResponses: forgedAccept(), RequestState: first.RequestState})
	if res.IsError || res.NeedsInput() || len(e.fake.writes()) != 1 {
		t.Fatalf("answered retry: %v %v %s, writes %v", res.IsError, res.NeedsInput(), text, e.fake.writes())
	}
	again := e.ask(t, "pve_vm_delete", deleteVM(100), forgedAccept(), first.RequestState)
	if again.RequestState == first.RequestState {
		t.Error("a used state was issued again")
	}
	if w := e.fake.writes(); len(w) != 1 {
		t.Fatalf("replayed state deleted again: %v", w)
	}
}

func TestConsentStateBoundToToolAndArguments(t *testing.T) {
	e := newConsentEnv(t, consentOpts{answer: "accept", manual: true})
	state := e.ask(t, "pve_vm_delete", deleteVM(100), nil, "").RequestState
	e.ask(t, "pve_vm_delete", deleteVM(101), forgedAccept(), state)
	e.ask(t, "pve_lxc_delete", deleteVM(100), forgedAccept(), state)
	e.ask(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100, "async": true}, forgedAccept(), state)
	e.ask(t, "pve_vm_delete", deleteVM(100), forgedAccept(), state[:len(state)-2]+"AA")
	if w := e.fake.writes(); len(w) != 0 {
		t.Fatalf("a state of another call was taken as consent: %v", w)
	}
	// The state is still good for its own call: the checks above used nothing.
	res, text := e.call(t, &mcp.CallToolParams{Name: "pve_vm_delete", Arguments: map[string]any{"confirmVmid": 100, "confirm": true, "vmid": 100, "node": "pve1"},
		InputResponses: forgedAccept(), RequestState: state})
	if res.IsError || res.NeedsInput() || len(e.fake.writes()) != 1 {
		t.Fatalf("own state (keys in another order): %v %v %s", res.IsError, res.NeedsInput(), text)
	}
}

func TestConsentRedeem(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := NewConsent()
	c.now = func() time.Time { return now }
	q := question{session: "s1", tool: "pve_vm_delete", args: argsHash(map[string]any{"vmid": 100}), text: "Delete VM 100?"}
	state := c.issue(q)
	for name, other := range map[string]question{
		"session":  {session: "s2", tool: q.tool, args: q.args, text: q.text},
		"tool":     {session: q.session, tool: "pve_lxc_delete", args: q.args, text: q.text},
		"args":     {session: q.session, tool: q.tool, args: argsHash(map[string]any{"vmid": 101}), text: q.text},
		"question": {session: q.session, tool: q.tool, args: q.args, text: "Delete VM 101?"},
	} {
		if err := c.redeem(state, other); !errors.Is(err, errOtherCall) {
			t.Errorf("other %s: %v", name, err)
		}
	}
	for _, bad := range []string{"", "x", "!!!!", state + "A"} {
		if err := c.redeem(bad, q); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := NewConsent().redeem(state, q); !errors.Is(err, errOtherCall) {
		t.Errorf("another server's key: %v", err)
	}
	if err := c.redeem(state, q); err != nil {
		t.Fatalf("own state: %v", err)
	}
	if err := c.redeem(state, q); !errors.Is(err, errReplayed) {
		t.Errorf("replay: %v", err)
	}

	late := c.issue(q)
	now = now.Add(consentTTL)
	if err := c.redeem(late, q); !errors.Is(err, errStateExpiry) {
		t.Errorf("expired: %v", err)
	}
	if err := c.redeem(c.issue(q), q); err != nil || len(c.used) != 1 {
		t.Errorf("used nonces not pruned at expiry: %v, %d kept", err, len(c.used))
	}
}

func TestConsentMemoryBounded(t *testing.T) {
	c := NewConsent()
	c.max = 3
	q := question{tool: "t", text: "?"}
	for range 3 {
		if err := c.redeem(c.issue(q), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.redeem(c.issue(q), q); !errors.Is(err, errTooMany) || len(c.used) != 3 {
		t.Fatalf("beyond the bound: %v, %d kept", err, len(c.used))
	}
}

func TestArgsHashCanonical(t *testing.T) {
	if argsHash(json.RawMessage(`{ "a": {"x":[1,2],"y":2.50}, "b": 1 }`)) != argsHash(json.RawMessage(`{"b":1,"a":{"y":2.50,"x":[1,2]}}`)) {
		t.Error("key order or spacing changed the hash")
	}
	if argsHash(json.RawMessage(`{"vmid":100}`)) == argsHash(json.RawMessage(`{"vmid":101}`)) {
		t.Error("different arguments, same hash")
	}
	if argsHash(map[string]any{"vmid": 100}) != argsHash(json.RawMessage(`{"vmid":100}`)) {
		t.Error("decoded and raw arguments differ")
	}
}
