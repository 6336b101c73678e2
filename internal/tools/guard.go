package tools

import (
	"context"
	"fmt"
	"strings"
)

// node checks a node name argument against its format and PVE_NODE_ALLOWLIST
// before anything is sent; the request guard checks again at the request.
func (c *call) node(arg string, n NodeName) error { return c.allow.Node(arg, string(n)) }

// vmid checks a guest id argument against its bounds and PVE_VMID_ALLOWLIST.
func (c *call) vmid(arg string, id VMID) error { return c.allow.VMID(arg, int(id)) }

// confirm refuses a destructive call without confirm: true or with a failed
// echo check (more). what says, in plain words, what the call would do; the
// user is asked about it, where the client can ask, just before the call's
// first write, together with anything the request guard wants consent for.
func (c *call) confirm(ok bool, what string, more ...error) error {
	if !ok {
		return fmt.Errorf("%w: this would %s; set confirm: true to proceed", errRefused, what)
	}
	for _, err := range more {
		if err != nil {
			return err
		}
	}
	c.pending = what
	return nil
}

// gate is the request guard's consent step for this call: it runs before
// every write, with the guard's question ("" when the guard needs none).
// The tool's own question and the guard's are put to the user as one.
func (c *call) gate(ctx context.Context, question string) error {
	if c.consented {
		if question == "" {
			return nil
		}
		return fmt.Errorf("%w: a second write of this call needs its own consent (%s); run it as a call of its own", errRefused, question)
	}
	var parts []string
	if c.pending != "" {
		parts = append(parts, c.pending)
	}
	if question != "" {
		if !c.confirmed {
			return fmt.Errorf("%w: this would %s; set confirm: true to proceed", errRefused, question)
		}
		parts = append(parts, question)
	}
	if len(parts) == 0 {
		return nil
	}
	if c.RequirePlan != "" && c.rehearsal == nil && planFrom(ctx) == "" {
		// Whatever its tool's kind, a write that needs a yes is one a plan covers.
		return fmt.Errorf("%w: PVE_REQUIRE_PLAN=%s: this would %s; it runs only from a plan: pve_plan {\"tool\": %q, \"arguments\": {...}}, then pve_apply",
			errRefused, c.RequirePlan, strings.Join(parts, "; and "), c.req.Params.Name)
	}
	q := strings.Join(parts, "; and ")
	if c.rehearsal != nil { // on a plan's twin: the user is asked at apply
		c.rehearsal.questions = append(c.rehearsal.questions, sentence(q)+"?")
		c.consented, c.pending = true, ""
		return nil
	}
	err := auditConsent(ctx, q, c.ask(q))
	if err != nil {
		return err
	}
	c.consented, c.pending = true, ""
	return nil
}

// confirmer is an input with a confirm argument.
type confirmer interface{ confirmedByArg() bool }

func confirmedIn(in any) bool {
	cf, ok := in.(confirmer)
	return ok && cf.confirmedByArg()
}

// echoVMID refuses when confirmVmid differs from the target.
func echoVMID(vmid, echo VMID) error {
	if vmid != echo {
		return fmt.Errorf("%w: confirmVmid %d does not match vmid %d; repeat the target's id in confirmVmid", errRefused, echo, vmid)
	}
	return nil
}

func (a confirmArgs) confirmedByArg() bool     { return a.Confirm }
func (a deleteArgs) confirmedByArg() bool      { return a.Confirm }
func (a restoreArgs) confirmedByArg() bool     { return a.Confirm }
func (a snapActArgs) confirmedByArg() bool     { return a.Confirm }
func (a taskStopArgs) confirmedByArg() bool    { return a.Confirm }
func (a applyArgs) confirmedByArg() bool       { return a.Confirm }
func (a vmSetConfigArgs) confirmedByArg() bool { return a.Confirm }
func (a vmCreateArgs) confirmedByArg() bool    { return a.Confirm }
func (a lxcCreateArgs) confirmedByArg() bool   { return a.Confirm }
func (a downloadArgs) confirmedByArg() bool    { return a.Confirm }
