package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/google/jsonschema-go/jsonschema"
	"slices"
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
	planTTL         = 10 * time.Minute
	maxPlans        = 256
	maxPlansPerUser = 32 // one principal cannot push out everyone's plans
)

// NewPlans makes an empty store.
func NewPlans() *Plans { return &Plans{m: map[string]*planRecord{}, now: time.Now} }

type planRecord struct {
	id, tool string
	// principal (and, for anonymous HTTP callers, the session) may apply it.
	principal, session string
	args               json.RawMessage
	facts              []fact
	expires            time.Time
	inUse              bool // an apply is running it
}

func (p *Plans) add(r *planRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	mine := 0
	for _, id := range slices.Clone(p.order) {
		switch old := p.m[id]; {
		case now.After(old.expires) && !old.inUse:
			p.dropLocked(id)
		case old.principal == r.principal:
			mine++
		}
	}
	// Room is made first among the caller's own plans, then the oldest.
	for _, id := range slices.Clone(p.order) {
		old := p.m[id]
		if old.inUse || mine < maxPlansPerUser && len(p.order) < maxPlans {
			continue
		}
		if old.principal == r.principal {
			p.dropLocked(id)
			mine--
		} else if mine < maxPlansPerUser {
			p.dropLocked(id)
		}
	}
	p.m[r.id] = r
	p.order = append(p.order, r.id)
}

// claim takes a plan for one apply: valid, not running, and made by the
// same caller; anything else is "no such plan", which tells nothing.
func (p *Plans) claim(id, principal, session string) (*planRecord, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.m[id]
	if !ok || r.inUse || p.now().After(r.expires) || r.principal != principal || r.session != "" && r.session != session {
		return nil, false
	}
	r.inUse = true
	return r, true
}

// release gives a claimed plan back (the user is being asked).
func (p *Plans) release(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.m[id]; ok {
		r.inUse = false
	}
}

// take removes a plan once applied: a plan runs once.
func (p *Plans) take(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropLocked(id)
}

func (p *Plans) dropLocked(id string) {
	delete(p.m, id)
	if i := slices.Index(p.order, id); i >= 0 {
		p.order = slices.Delete(p.order, i, i+1)
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
	WouldSucceed *bool          `json:"wouldSucceed,omitempty" jsonschema:"the rehearsal's verdict; absent when not rehearsed"`
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
	case o.WouldSucceed != nil && *o.WouldSucceed:
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
	if err := checkArgs(t, args); err != nil {
		return planOut{}, err
	}
	if tool == "pve_api_call" && !apiWrites(args) {
		return planOut{}, fmt.Errorf("invalid argument \"arguments\": a GET only reads; call pve_api_call directly")
	}
	r := &planReader{c: c}
	if err := r.read(ctx, scopeOf(args)); err != nil {
		return planOut{}, err
	}
	now := c.Plans.now()
	out := planOut{Plan: "plan-" + randomHex(8), Expires: now.Add(planTTL).UTC().Format(time.RFC3339), Tool: tool,
		Checked: append([]fact{}, r.facts...), Tasks: []planTask{}}
	redacted, secrets := redactArgs(args)
	_ = json.Unmarshal(redacted, &out.Arguments)
	if ok, why := rehearsable(tool); !ok {
		out.Why = why
	} else if err := c.rehearse(ctx, tool, args, r, &out); err != nil {
		return planOut{}, err
	}
	out.mask(secrets)
	rec := &planRecord{id: out.Plan, tool: tool, args: args, facts: r.facts, expires: now.Add(planTTL)}
	rec.principal, rec.session = c.planOwner()
	if c.Audit != nil {
		e := audit.Entry{Principal: rec.principal, Cluster: c.Cluster, Event: "plan", Tool: tool, Args: redacted, Target: targetOf(redacted), Plan: rec.id}
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

// planOwner is who may apply a plan this call makes: the principal, and
// for callers without one (anonymous HTTP) their session too.
func (c *call) planOwner() (principal, session string) {
	principal = principalOf(c.req, c.LocalUser)
	if principal == "http:anonymous" && c.req.Session != nil {
		session = c.req.Session.ID()
	}
	return principal, session
}

// checkArgs validates a planned call's arguments against its tool's
// schema, so a plan names a bad argument as the call would.
func checkArgs(t Tool, args json.RawMessage) error {
	s := t.input()
	rs, err := s.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
	if err != nil {
		return fmt.Errorf("plan: %s's schema: %w", t.Def.Name, err)
	}
	if _, _, err := decodeInput[map[string]any](s, rs, args, "async"); err != nil {
		return fmt.Errorf("invalid argument \"arguments\" for %s: %w", t.Def.Name, err)
	}
	return nil
}

func apiWrites(args json.RawMessage) bool {
	var a struct {
		Method string `json:"method"`
	}
	_ = json.Unmarshal(args, &a)
	m := strings.ToUpper(strings.TrimSpace(a.Method))
	return m != "" && m != "GET"
}

// mask hides secret values (passwords given, hashes the twin stored) in
// everything the plan shows.
func (o *planOut) mask(secrets []string) {
	hide := func(s string) string {
		for _, v := range secrets {
			if v != "" {
				s = strings.ReplaceAll(s, v, "***")
			}
		}
		return s
	}
	o.Result, o.Failure = hide(o.Result), hide(o.Failure)
	for i := range o.Questions {
		o.Questions[i] = hide(o.Questions[i])
	}
	for i := range o.Tasks {
		for j := range o.Tasks[i].Log {
			o.Tasks[i].Log[j] = hide(o.Tasks[i].Log[j])
		}
	}
	for i := range o.Changes.Guests {
		for j, k := range o.Changes.Guests[i].Config {
			if secretArg(k.Key) {
				k.Before, k.After = maskValue(k.Before), maskValue(k.After)
			} else {
				k.Before, k.After = hide(k.Before), hide(k.After)
			}
			o.Changes.Guests[i].Config[j] = k
		}
	}
}

func maskValue(v string) string {
	if v == "" {
		return ""
	}
	return "***"
}
