package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// planRequired refuses a write PVE_REQUIRE_PLAN sends through a plan when
// it does not come from pve_apply: "all" every write, "destructive" the
// destructive tools (and the API's non-GET calls).
func (d *Deps) planRequired(ctx context.Context, sp spec, args json.RawMessage) error {
	if d.RequirePlan == "" || sp.effect == ReadOnly || sp.name == applyName || planFrom(ctx) != "" || d.rehearsal != nil {
		return nil
	}
	if d.RequirePlan == "destructive" && sp.effect != Destructive {
		return nil
	}
	if sp.name == "pve_api_call" && !apiWrites(args) {
		return nil
	}
	return fmt.Errorf("%w: PVE_REQUIRE_PLAN=%s: %s runs only from a plan: call pve_plan {\"tool\": %q, \"arguments\": {...}}, "+
		"check what it would do, then pve_apply {\"plan\": \"<id>\"}", errRefused, d.RequirePlan, sp.name, sp.name)
}

// wantsPlan tells whether a write's arguments ask for a plan (plan: true).
func wantsPlan(raw json.RawMessage) bool {
	if !bytes.Contains(raw, []byte(`"plan"`)) {
		return false
	}
	var a struct {
		Plan bool `json:"plan"`
	}
	return json.Unmarshal(raw, &a) == nil && a.Plan
}
