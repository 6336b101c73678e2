package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTSClientApps: the TypeScript SDK client declares MCP Apps and gets
// the view (MIME type, CSP), the tools linked to it, and a confirm card
// where the model's delete would have run (e2e/tsclient/scenarios/apps.mjs).
func TestTSClientApps(t *testing.T) {
	cl := newCluster(t, 50)
	var out struct {
		Tools  int
		Action string
	}
	if err := json.Unmarshal(runTS(t, cl, "apps", nil), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Action, "Delete VM 101 on pve1") {
		t.Errorf("the card's action: %q", out.Action)
	}
}
