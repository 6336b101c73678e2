package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
)

// Plans keeps the plans made, each for pve_apply until it expires or is
// applied. Safe for concurrent use.
type Plans struct {
	mu    sync.Mutex
	m     map[string]*planRecord
	order []string // oldest first
	now   func() time.Time
}

const (
	planTTL  = 10 * time.Minute
	maxPlans = 256
)

// NewPlans makes an empty store.
func NewPlans() *Plans { return &Plans{m: map[string]*planRecord{}, now: time.Now} }

type planRecord struct {
	id, tool, principal string
	args                json.RawMessage
	facts               []fact
	expires             time.Time
}

func (p *Plans) add(r *planRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.order) >= maxPlans {
		delete(p.m, p.order[0])
		p.order = p.order[1:]
	}
	p.m[r.id] = r
	p.order = append(p.order, r.id)
}

// get returns a plan still valid.
func (p *Plans) get(id string) (*planRecord, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.m[id]
	if !ok || p.now().After(r.expires) {
		return nil, false
	}
	return r, true
}

// take removes a plan once applied: a plan runs once.
func (p *Plans) take(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
	for i, x := range p.order {
		if x == id {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
}

// planOut is a plan as pve_plan answers it.
type planOut struct {
	Plan         string         `json:"plan" jsonschema:"the id to give pve_apply"`
	Expires      string         `json:"expires" jsonschema:"when the plan stops being valid (RFC 3339)"`
	Tool         string         `json:"tool"`
	Arguments    map[string]any `json:"arguments"`
	Rehearsed    bool           `json:"rehearsed" jsonschema:"the call ran on a twin of the cluster; false: a change set checked at apply, not rehearsed"`
	Why          string         `json:"notRehearsedBecause,omitempty"`
	WouldSucceed bool           `json:"wouldSucceed"`
	Failure      string         `json:"failure,omitempty" jsonschema:"what would fail and why"`
	Result       string         `json:"result,omitempty" jsonschema:"the twin's answer"`
	Questions    []string       `json:"questions,omitempty" jsonschema:"what the user will be asked at apply"`
	Changes      planChanges    `json:"changes"`
	Tasks        []planTask     `json:"tasks,omitempty"`
	Checked      []fact         `json:"checked" jsonschema:"the state pve_apply reads again; any difference refuses it"`
	Notes        []string       `json:"notes,omitempty"`
}

// encode gives the plan as JSON and, for the text, in words.
func (o planOut) encode() ([]byte, string) {
	b, err := json.Marshal(o)
	if err != nil {
		b = []byte("{}")
	}
	return b, o.render()
}

// render is the plan in words, for clients that read only text.
func (o planOut) render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan %s for %s (valid until %s; run it with pve_apply {\"plan\": %q}).\n", o.Plan, o.Tool, o.Expires, o.Plan)
	switch {
	case !o.Rehearsed:
		fmt.Fprintf(&b, "Not rehearsed (%s): a change set; pve_apply checks the state below again first.\n", o.Why)
	case o.WouldSucceed:
		b.WriteString("Rehearsed on a twin of the cluster: it would succeed.\n")
	default:
		fmt.Fprintf(&b, "Rehearsed on a twin of the cluster: it would FAIL: %s\n", o.Failure)
	}
	if lines := o.Changes.summary(); len(lines) > 0 {
		b.WriteString("Changes:\n")
		for _, l := range lines {
			b.WriteString("- " + l + "\n")
		}
	} else if o.Rehearsed {
		b.WriteString("Changes: none.\n")
	}
	for _, q := range o.Questions {
		fmt.Fprintf(&b, "The user will be asked: %s\n", q)
	}
	for _, t := range o.Tasks {
		fmt.Fprintf(&b, "Task %s (%s): %s\n", t.Type, t.ID, t.Exit)
		for _, l := range t.Log {
			b.WriteString("  " + l + "\n")
		}
	}
	for _, n := range o.Notes {
		b.WriteString("Note: " + n + "\n")
	}
	return b.String()
}

// makePlan reads what the call touches, rehearses it and stores the plan.
func (c *call) makePlan(ctx context.Context, tool string, args json.RawMessage) (planOut, error) {
	if c.Toolbox == nil || c.Plans == nil {
		return planOut{}, fmt.Errorf("plans need the server's toolbox")
	}
	t, ok := c.Toolbox.offered(tool)
	switch {
	case !ok:
		return planOut{}, fmt.Errorf("invalid argument \"tool\": %q is not offered by this server (pve_toolsets lists the toolsets; read-only mode and PVE_DISABLE_DESTRUCTIVE keep write tools out)", tool)
	case t.Effect == ReadOnly:
		return planOut{}, fmt.Errorf("invalid argument \"tool\": %s only reads; call it directly", tool)
	case tool == applyName || tool == AppConfirmName:
		return planOut{}, fmt.Errorf("invalid argument \"tool\": %s cannot be planned", tool)
	}
	args = withoutKeys(args, "plan")
	r := &planReader{c: c}
	if err := r.read(ctx, scopeOf(args)); err != nil {
		return planOut{}, err
	}
	now := c.Plans.now()
	out := planOut{Plan: "plan-" + randomHex(8), Expires: now.Add(planTTL).UTC().Format(time.RFC3339), Tool: tool,
		Checked: r.facts, Tasks: []planTask{}}
	redacted, _ := redactArgs(args)
	_ = json.Unmarshal(redacted, &out.Arguments)
	if ok, why := rehearsable(tool); !ok {
		out.Why = why
	} else if err := c.rehearse(ctx, tool, args, r, &out); err != nil {
		return planOut{}, err
	}
	rec := &planRecord{id: out.Plan, tool: tool, principal: principalOf(c.req, c.LocalUser), args: args, facts: r.facts, expires: now.Add(planTTL)}
	if c.Audit != nil {
		e := audit.Entry{Principal: rec.principal, Event: "plan", Tool: tool, Args: redacted, Target: targetOf(redacted), Plan: rec.id}
		if err := c.Audit.Append(e); err != nil {
			return planOut{}, fmt.Errorf("%w: the plan is not kept while the audit log cannot be written (PVE_AUDIT_LOG): %v", errRefused, err)
		}
	}
	c.Plans.add(rec)
	return out, nil
}

// recheck reads the plan's state again and says what changed.
func (c *call) recheck(ctx context.Context, rec *planRecord) ([]string, error) {
	r := &planReader{c: c}
	if err := r.read(ctx, scopeOf(rec.args)); err != nil {
		return nil, err
	}
	now := map[string]string{}
	for _, f := range r.facts {
		now[f.What] = f.Value
	}
	var changed []string
	for _, f := range rec.facts {
		v, ok := now[f.What]
		switch {
		case !ok:
			changed = append(changed, fmt.Sprintf("%s: was %q, now not found", f.What, f.Value))
		case v != f.Value:
			changed = append(changed, fmt.Sprintf("%s: was %q, now %q", f.What, f.Value, v))
		}
	}
	return changed, nil
}

var errPlanGone = errors.New("no such plan")
