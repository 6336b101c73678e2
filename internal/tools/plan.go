package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// A plan (issue 20) rehearses a write on a twin: an in-process simulator
// loaded with what the call touches, read from the cluster, running the
// same tool code behind the same guard. What it did there is the plan;
// pve_apply runs the real call once the state read is still the same.

// rehearsal records what a call on the twin would have asked the user.
type rehearsal struct{ questions []string }

// twinPrefixes are tools whose every effect the twin holds: guests, their
// disks and snapshots, storage content, nodes. Others are planned as a
// change set (the state checked again at apply) without a rehearsal.
var twinPrefixes = []string{"pve_vm_", "pve_lxc_", "pve_snapshot_", "pve_backup_now", "pve_restore", "pve_bulk_action"}

var twinExcluded = map[string]string{
	"pve_vm_agent_exec": "it runs a command inside the guest", "pve_vm_agent_file_write": "it writes inside the guest",
	"pve_lxc_exec": "it runs a command inside the container", "pve_vm_provision": "it waits for the guest agent inside the new VM",
}

func rehearsable(tool string) (bool, string) {
	if why, ok := twinExcluded[tool]; ok {
		return false, why
	}
	for _, p := range twinPrefixes {
		if strings.HasPrefix(tool, p) {
			return true, ""
		}
	}
	return false, "the twin holds guests, disks, snapshots, storage and nodes, not what " + tool + " changes"
}

// twinToken is who the rehearsal runs as: a token holding the privileges
// the server's Proxmox user has on the cluster.
const twinToken = "mcp-plan@pve!twin"

// rehearse runs the call on a twin built from r's reads.
func (c *call) rehearse(ctx context.Context, tool string, args json.RawMessage, r *planReader, out *planOut) error {
	release, err := c.PVE.Release(ctx)
	if err != nil {
		return err
	}
	secret := randomHex(16)
	tw, err := pvesim.NewTwin(r.state, pvesim.Options{Schema: release, Schemas: c.Guard.Schemas()})
	if err != nil {
		return fmt.Errorf("plan: build the twin: %w", err)
	}
	defer tw.Close()
	skipped, err := grantTwin(tw, secret, r.perms)
	if err != nil {
		return fmt.Errorf("plan: the twin's privileges: %w", err)
	}
	if len(skipped) > 0 {
		out.Notes = append(out.Notes, "privileges the twin's release does not know were left out: "+strings.Join(skipped, ", "))
	}
	if r.perms == nil {
		out.Notes = append(out.Notes, "privileges not rehearsed: /access/permissions could not be read")
	}
	client, err := pve.New(pve.Options{BaseURL: "http://twin.invalid", TokenID: twinToken, TokenSecret: secret, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: handlerTransport{tw.Handler()}},
		Clock:      tw.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			tw.Advance(d) // simulated time: a task of minutes rehearses in milliseconds
			return ctx.Err()
		}})
	if err != nil {
		return err
	}
	g, err := c.Guard.Twin(ctx, client)
	if err != nil {
		return err
	}
	td := *c.Deps
	td.Guard, td.Audit, td.Toolbox, td.Consent, td.rehearsal = g, nil, nil, nil, &rehearsal{}
	td.NodeSSH = nil // nothing of a rehearsal leaves the twin
	var twinTool *Tool
	for _, t := range Inventory(&td) {
		if t.Def.Name == tool {
			twinTool = &t
			break
		}
	}
	if twinTool == nil {
		return fmt.Errorf("plan: %s has no twin", tool)
	}
	before := tw.Export()
	_, n0 := tw.TasksFrom(0)
	// The rehearsal keeps only the call's cancellation: no task handle,
	// card or progress of the plan's own request reaches it.
	tctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	res, err := twinTool.Handle(tctx, &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: tool, Arguments: withoutKeys(args, "async", "plan")}})
	if err != nil {
		return fmt.Errorf("plan: rehearse %s: %w", tool, err)
	}
	out.Rehearsed = true
	out.Questions = td.rehearsal.questions
	text := resultText(res)
	ok := !res.IsError
	out.WouldSucceed = &ok
	if res.IsError {
		out.Failure = bounded(text, 2000)
	} else {
		out.Result = bounded(text, 2000)
	}
	tasks, _ := tw.TasksFrom(n0)
	out.Tasks = planTasks(tasks)
	out.Changes = diffTwin(before, tw.Export())
	checkSpace(out, r.state.Storages)
	return nil
}

// checkSpace judges storage the change would overfill: thick LVM cannot
// allocate past its size; thin storage and files can, until guests write.
func checkSpace(out *planOut, storages []pvesim.TwinStorage) {
	for _, u := range out.Changes.Storage {
		if !u.Over {
			continue
		}
		typ := ""
		for _, s := range storages {
			if s.ID == u.Storage {
				typ = s.Type
			}
		}
		msg := fmt.Sprintf("storage %s on %s would hold %s of %s", u.Storage, u.Node, humanBytes(u.After), humanBytes(u.Total))
		if typ == "lvm" && out.WouldSucceed != nil && *out.WouldSucceed {
			fail := false
			out.WouldSucceed, out.Failure = &fail, msg+": thick LVM cannot allocate it"
			continue
		}
		out.Notes = append(out.Notes, msg+": it overcommits (thin storage allows it until the guests fill their disks)")
	}
}

// grantTwin gives the twin's token the privileges /access/permissions
// listed (nil: all), so a missing privilege fails there as it would here.
// What the twin's release cannot hold is skipped and named.
func grantTwin(tw *pvesim.Sim, secret string, perms map[string]map[string]int) (skipped []string, err error) {
	if err := tw.AddToken(twinToken, secret, false); err != nil {
		return nil, err
	}
	user, _, _ := strings.Cut(twinToken, "!")
	if perms == nil {
		return nil, tw.SetACL("/", user, "Administrator", true)
	}
	i := 0
	for _, path := range slices.Sorted(maps.Keys(perms)) {
		privs := perms[path]
		for _, prop := range []bool{true, false} {
			var names []string
			for _, p := range slices.Sorted(maps.Keys(privs)) {
				if (privs[p] == 1) != prop {
					continue
				}
				i++
				if tw.AddRole(fmt.Sprintf("MCPPlanCheck%d", i), p) != nil {
					skipped = append(skipped, p)
					continue
				}
				names = append(names, p)
			}
			if len(names) == 0 {
				continue
			}
			i++
			role := fmt.Sprintf("MCPPlan%d", i)
			if err := tw.AddRole(role, names...); err != nil {
				return nil, err
			}
			if tw.SetACL(path, user, role, prop) != nil {
				skipped = append(skipped, "ACLs on "+path)
			}
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(skipped))), nil
}

// handlerTransport sends a request to an in-process handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func withoutKeys(raw json.RawMessage, keys ...string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	for _, k := range keys {
		delete(m, k)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return b
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, ct := range res.Content {
		if t, ok := ct.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // not inside a character
	}
	return s[:n] + " …"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
