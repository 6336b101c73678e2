package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	planName  = "pve_plan"
	applyName = "pve_apply"
)

type planArgs struct {
	Tool      string         `json:"tool" jsonschema:"the write tool to plan, e.g. pve_vm_set_config"`
	Arguments map[string]any `json:"arguments" jsonschema:"its arguments, as for a direct call"`
}

type planApplyArgs struct {
	Plan string `json:"plan" jsonschema:"the plan id pve_plan gave"`
}

// planKey carries the plan a call applies, for PVE_REQUIRE_PLAN and the
// audit log.
type planKey struct{}

func planFrom(ctx context.Context) string {
	id, _ := ctx.Value(planKey{}).(string)
	return id
}

// innerResult is a tool's answer that pve_apply passes on as it is.
type innerResult struct{ res *mcp.CallToolResult }

func (e *innerResult) Error() string { return "inner result" }

func planTools(d *Deps) []Tool {
	plan := define(d, spec{name: planName, title: "Plan a write", toolset: "plan", effect: ReadOnly,
		desc: "Rehearse a write tool's call on a twin of the cluster (its guests, disks, storage, privileges, read now) and show the diff, " +
			"the task log and what would fail, without changing anything. Gives a plan id for pve_apply, valid 10 minutes."},
		handle(func(ctx context.Context, c *call, in planArgs) (planOut, error) {
			raw, err := json.Marshal(in.Arguments)
			if err != nil {
				return planOut{}, fmt.Errorf("invalid argument \"arguments\": %w", err)
			}
			return c.makePlan(ctx, in.Tool, raw)
		}))
	apply := define(d, spec{name: applyName, title: "Apply a plan", toolset: "plan", effect: Mutating, output: &jsonschema.Schema{Type: "object"},
		desc: "Run a call pve_plan rehearsed, only if the guests' config digests and the state it read are unchanged " +
			"(otherwise it refuses and says what changed). The call keeps its own gates: confirm and the user's consent."},
		handle(func(ctx context.Context, c *call, in planApplyArgs) (struct{}, error) {
			res, err := c.apply(ctx, in.Plan)
			if err != nil {
				return struct{}{}, err
			}
			return struct{}{}, &innerResult{res}
		}))
	return []Tool{plan, apply}
}

// apply checks the plan's state again and runs its call as the person
// who planned it.
func (c *call) apply(ctx context.Context, id string) (*mcp.CallToolResult, error) {
	if c.Plans == nil || c.Toolbox == nil {
		return nil, fmt.Errorf("plans need the server's toolbox")
	}
	who, session := c.planOwner()
	rec, ok := c.Plans.claim(strings.TrimSpace(id), who, session)
	if !ok {
		return nil, fmt.Errorf("invalid argument \"plan\": %w %q (plans last %v, run once and only for whoever made them; make a new one with pve_plan)", errPlanGone, id, planTTL)
	}
	done := false // the plan is used up, else given back for another try
	defer func() {
		if done {
			c.Plans.take(rec.id)
		} else {
			c.Plans.release(rec.id)
		}
	}()
	t, ok := c.Toolbox.offered(rec.tool)
	if !ok {
		return nil, fmt.Errorf("%w: %s is no longer offered by this server", errRefused, rec.tool)
	}
	changed, err := c.recheck(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("plan %s: the state could not be read again, nothing was done: %w", rec.id, err)
	}
	if len(changed) > 0 {
		done = true
		return nil, fmt.Errorf("%w: nothing was done: the cluster changed since plan %s was made: %s; plan it again",
			errRefused, rec.id, strings.Join(changed, "; "))
	}
	args, err := c.onOwnCluster(rec.args)
	if err != nil {
		return nil, err
	}
	p := c.req.Params
	inner := &mcp.CallToolRequest{Session: c.req.Session, Extra: c.req.Extra,
		Params: &mcp.CallToolParamsRaw{Meta: p.Meta, Name: rec.tool, Arguments: args, InputResponses: p.InputResponses, RequestState: p.RequestState}}
	res, err := t.handler(context.WithValue(ctx, planKey{}, rec.id), inner)
	if err != nil {
		done = true // it may have run: never again
		return nil, err
	}
	if len(res.InputRequests) == 0 { // asking the user: kept for the answer
		done = true
		note := fmt.Sprintf("(plan %s applied: %s ran on the cluster)", rec.id, rec.tool)
		if res.IsError {
			note = fmt.Sprintf("(plan %s used: the real %s call answered the error above)", rec.id, rec.tool)
		}
		res.Content = append(res.Content, &mcp.TextContent{Text: note})
	}
	return res, nil
}
