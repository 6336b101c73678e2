package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// TestToolPrivilegesCoverSchemaChecks runs the cycles, attributes each
// request the simulator saw to the tool call that sent it, and evaluates
// the schema's permission rule of its endpoint with the privileges the
// tool's table names: a rule the table cannot meet fails the test, so the
// table stays what the schema computes for every endpoint a tool calls.
func TestToolPrivilegesCoverSchemaChecks(t *testing.T) {
	t.Parallel()
	s, err := pveschema.Load("9.1")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	byTool := map[string][]pvesim.Request{}
	for name, cycle := range map[string]func(*testing.T, *cluster, clientOpts){
		"cluster reads": clusterReads, "vm": vmCycle, "container": containerCycle,
		"storage, network, schedule": storageNetworkSchedule, "tasks": taskTools,
	} {
		t.Run(name, func(t *testing.T) {
			cl := newCluster(t, 0.02)
			seen := 0
			cycle(t, cl, clientOpts{afterCall: func(tool string) {
				reqs := cl.sim.Requests()
				mu.Lock()
				byTool[tool] = append(byTool[tool], reqs[min(seen, len(reqs)):]...)
				mu.Unlock()
				seen = len(reqs)
			}})
		})
	}
	checked := 0
	for tool, reqs := range byTool {
		privs, known := tools.PrivilegesOf(tool)
		if !known {
			t.Errorf("%s: not in the privilege table", tool)
			continue
		}
		for _, r := range reqs {
			ep, _, ok := s.Route(r.Method, strings.Split(strings.TrimPrefix(r.Path, "/"), "/"))
			if !ok || r.Status == 401 {
				continue
			}
			checked++
			if !meets(ep.Permissions, privs) {
				t.Errorf("%s sends %s %s, whose rule %s the table's %v does not meet", tool, r.Method, ep.Path, ep.Permissions, privs)
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d requests checked", checked)
	}
}

// meets evaluates a schema permission object with a set of privileges,
// paths aside: RPCEnvironment's check language.
func meets(raw json.RawMessage, privs []string) bool {
	var p struct {
		User  string `json:"user"`
		Check []any  `json:"check"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return false // root only
	}
	if p.Check == nil {
		return p.User == "all" || p.User == "world"
	}
	return evalCheck(p.Check, privs)
}

func evalCheck(expr []any, privs []string) bool {
	op, _ := expr[0].(string)
	switch op {
	case "perm":
		want, _ := expr[2].([]any)
		anyOf := len(expr) > 3 && expr[3] == "any"
		for _, w := range want {
			has := slices.Contains(privs, w.(string))
			if anyOf && has {
				return true
			}
			if !anyOf && !has {
				return false
			}
		}
		return !anyOf
	case "and", "or":
		for _, sub := range expr[1:] {
			ok := evalCheck(sub.([]any), privs)
			if op == "or" && ok {
				return true
			}
			if op == "and" && !ok {
				return false
			}
		}
		return op == "and"
	}
	return true // userid-group, userid-param, perm-modify: about users, not these tools
}
