package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
)

// pve_undo (issue 20): puts back what a recorded config change changed,
// from its audit entry, only while the object's digest is still the one
// the change left. The restoring write is an ordinary guarded write with
// the digest as Proxmox's lock, and is itself recorded, so it can be
// undone in turn.

type undoArgs struct {
	Entry       int64 `json:"entry" minimum:"1" jsonschema:"the audit entry's number (seq): the one a change's answer names, or any entry of that call"`
	SkipSecrets bool  `json:"skip_secrets,omitempty" jsonschema:"restore the other keys and leave secret ones (cipassword) as they are now: their prior values are never recorded"`
	Confirm     bool  `json:"confirm,omitempty" jsonschema:"needed: the change is reverted"`
}

func (a undoArgs) confirmedByArg() bool { return a.Confirm }

type undoOut struct {
	Action string `json:"action"`
	Entry  int64  `json:"entry" jsonschema:"the result entry of the change undone"`
	Tool   string `json:"tool" jsonschema:"the tool that made the change"`
	Target string `json:"target,omitempty"`
	Path   string `json:"path" jsonschema:"the object restored"`
	// Op is what undo did: set (keys put back), delete (removed what the
	// change created) or create (added back what it deleted).
	Op       string            `json:"op"`
	Restored map[string]change `json:"restored" jsonschema:"each key before this undo and after; \"\" is absent"`
	Skipped  []string          `json:"skipped,omitempty" jsonschema:"secret keys left as they are"`
	Digest   string            `json:"digest,omitempty" jsonschema:"the object's digest now"`
	UPID     string            `json:"upid,omitempty"`
}

func undoTools(d *Deps) []Tool {
	return []Tool{define(d, spec{name: "pve_undo", title: "Undo a config change", toolset: "audit", effect: Mutating,
		desc: "Put back what a config change (set_config, cloud-init, firewall options, HA rules) changed, by its audit entry number; refused if the object changed since. Needs PVE_AUDIT_LOG."},
		handle(func(ctx context.Context, c *call, in undoArgs) (undoOut, error) {
			return c.undo(ctx, in)
		}))}
}

func (c *call) undo(ctx context.Context, in undoArgs) (undoOut, error) {
	if c.Audit == nil {
		return undoOut{}, fmt.Errorf("pve_undo reads the audit log, and none is kept: set PVE_AUDIT_LOG to a file; changes made while it is set can be undone")
	}
	res, err := c.undoEntry(in.Entry)
	if err != nil {
		return undoOut{}, err
	}
	if ac := undoing(ctx); ac != nil {
		ac.target = res.Target // its entries name the guest the change was to
	}
	u := res.Undo
	out := undoOut{Action: "undo", Entry: res.Seq, Tool: res.Tool, Target: res.Target, Path: u.Path, Restored: map[string]change{}}
	cur, digest, err := c.undoCurrent(ctx, u)
	if err != nil {
		return out, fmt.Errorf("%w: changed since entry %d: %v; nothing was restored", errRefused, res.Seq, err)
	}
	if digest != u.After {
		return out, fmt.Errorf("%w: changed since entry %d: %s; nothing was restored (pve_undo reverts a change only while nothing else changed the object)",
			errRefused, res.Seq, changedSince(u, cur, digest))
	}
	form, del, err := undoForm(u, cur, in.SkipSecrets, &out)
	if err != nil {
		return out, err
	}
	what := fmt.Sprintf("undo audit entry %d (%s on %s): %s", res.Seq, res.Tool, u.Path, undoSummary(out))
	if err := c.confirm(in.Confirm, what); err != nil {
		return out, err
	}
	var raw json.RawMessage
	switch u.Op {
	case "set":
		out.Op = "set"
		if len(del) > 0 {
			form.Set("delete", strings.Join(del, ","))
		}
		if digest != "" {
			form.Set("digest", digest)
		}
		err = c.PVE.Put(ctx, u.Path, form, &raw)
	case "create":
		out.Op = "delete"
		err = c.PVE.Delete(ctx, u.Path, nil, &raw)
	case "delete":
		out.Op = "create"
		err = c.PVE.Post(ctx, u.Create, form, &raw)
	}
	if err != nil {
		return out, writeError(what, err, "the object at "+u.Path)
	}
	if upid, ok := upidOf(raw); ok {
		t := taskOut{Action: "undo"}
		if err := c.wait(ctx, what, upid, &t); err != nil {
			return out, err
		}
		out.UPID = upid
	}
	c.redo(ctx, res.Seq, u, cur, form, del, &out)
	return out, nil
}

// undoEntry finds the result entry of the call entry n belongs to, in
// the log read back and verified, and checks it can be undone.
func (c *call) undoEntry(n int64) (audit.Entry, error) {
	entries, err := c.Audit.Entries(math.MaxInt64)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("%w: %v", errRefused, err)
	}
	if n > int64(len(entries)) {
		return audit.Entry{}, fmt.Errorf("invalid argument \"entry\": the audit log has entries 1 to %d", len(entries))
	}
	e := entries[n-1]
	if e.Call == "" || e.Tool == "tasks/cancel" {
		return audit.Entry{}, fmt.Errorf("invalid argument \"entry\": entry %d (%s) is not part of a config change; give the number a change's answer names", n, e.Event)
	}
	for _, r := range entries[n-1:] {
		if r.Event != "result" || r.Call != e.Call {
			continue
		}
		switch {
		case r.Cluster != c.Cluster:
			return r, fmt.Errorf("%w: entry %d changed cluster %q, not %q: undo it with cluster %q", errRefused, r.Seq, r.Cluster, c.Cluster, r.Cluster)
		case r.Outcome != "ok":
			return r, fmt.Errorf("%w: entry %d: the %s call ended %s, so there is nothing to undo (only a change that succeeded is reverted)", errRefused, r.Seq, r.Tool, r.Outcome)
		case r.Undo == nil:
			return r, fmt.Errorf("invalid argument \"entry\": entry %d (%s) kept no prior values; pve_undo reverts pve_vm_set_config, pve_lxc_set_config, pve_vm_cloudinit, pve_firewall_options and pve_ha_rules changes made while PVE_AUDIT_LOG was set", r.Seq, r.Tool)
		}
		return r, checkUndoRecord(r.Tool, r.Undo)
	}
	return audit.Entry{}, fmt.Errorf("%w: entry %d: the %s call has no recorded outcome (it may still run, or the server stopped during it), so it is not undone", errRefused, n, e.Tool)
}

// undoCurrent reads the object as it is now, as text, and its digest.
func (c *call) undoCurrent(ctx context.Context, u *audit.Undo) (map[string]string, string, error) {
	switch u.Op {
	case "set", "create":
		var obj map[string]json.RawMessage
		if err := c.PVE.Get(ctx, u.Path, nil, &obj); err != nil {
			return nil, "", fmt.Errorf("%s cannot be read (deleted?): %w", u.Path, err)
		}
		cur := textValues(obj)
		if u.Op == "create" {
			delete(cur, "order")
			delete(cur, "errors")
		}
		return cur, cur["digest"], nil
	case "delete":
		var obj map[string]json.RawMessage
		if err := c.PVE.Get(ctx, u.Path, nil, &obj); err == nil {
			return nil, "", fmt.Errorf("%s exists again", u.Path)
		}
		digest, err := c.haListDigest(ctx, u.Create)
		if err != nil {
			return nil, "", fmt.Errorf("%s cannot be read: %w", u.Create, err)
		}
		return map[string]string{}, digest, nil
	}
	return nil, "", fmt.Errorf("the entry's undo record has op %q, which this server does not know", u.Op)
}

// changedSince names the recorded keys that differ from what the change
// left, and the digests.
func changedSince(u *audit.Undo, cur map[string]string, digest string) string {
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(u.Keys)) {
		uk := u.Keys[k]
		v, ok := cur[k]
		switch {
		case uk.After == nil && ok:
			diffs = append(diffs, fmt.Sprintf("%s is %s where the change left it absent", k, shown(uk, v)))
		case uk.After != nil && !ok:
			diffs = append(diffs, fmt.Sprintf("%s is absent where the change left %s", k, shown(uk, *uk.After)))
		case uk.After != nil && !uk.Secret && v != *uk.After:
			diffs = append(diffs, fmt.Sprintf("%s is %q where the change left %q", k, v, *uk.After))
		}
	}
	if len(diffs) == 0 {
		diffs = append(diffs, "keys the change did not touch changed")
	}
	return fmt.Sprintf("%s (the digest is %s, the change left %s)", strings.Join(diffs, "; "), orNoneDigest(digest), orNoneDigest(u.After))
}

func shown(uk audit.UndoKey, v string) string {
	if uk.Secret {
		return "set"
	}
	return fmt.Sprintf("%q", v)
}

func orNoneDigest(d string) string {
	if d == "" {
		return "none (empty)"
	}
	return d
}

// undoForm is what puts the prior values back: for set, the keys to set
// and to delete, skipping those already at their prior value; for a
// deleted object, its keys. out gets the keys' before and after.
func undoForm(u *audit.Undo, cur map[string]string, skipSecrets bool, out *undoOut) (url.Values, []string, error) {
	form := url.Values{}
	var del []string
	for _, k := range slices.Sorted(maps.Keys(u.Keys)) {
		uk := u.Keys[k]
		if uk.Secret && uk.Before != nil {
			if !skipSecrets {
				return nil, nil, fmt.Errorf("invalid argument \"skip_secrets\": the change set %s, whose prior value is secret and never recorded, so undo cannot put it back; "+
					"give skip_secrets: true to restore the other keys and leave %s as it is now", k, k)
			}
			out.Skipped = append(out.Skipped, k)
			continue
		}
		v, has := cur[k]
		mask := func(s string) string {
			if uk.Secret && s != "" {
				return "***"
			}
			return s
		}
		switch {
		case u.Op == "create":
			out.Restored[k] = change{From: mask(v)}
		case uk.Before == nil && has:
			del = append(del, k)
			out.Restored[k] = change{From: mask(v)}
		case uk.Before != nil && (!has || v != *uk.Before):
			form.Set(k, *uk.Before)
			out.Restored[k] = change{From: mask(v), To: *uk.Before}
		}
	}
	if u.Op == "set" && len(form) == 0 && len(del) == 0 {
		return nil, nil, fmt.Errorf("invalid argument \"entry\": nothing to restore: every key entry's change touched already has its prior value")
	}
	return form, del, nil
}

// undoSummary is the change in a few words, for the question.
func undoSummary(out undoOut) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(out.Restored)) {
		ch := out.Restored[k]
		switch {
		case ch.To == "":
			parts = append(parts, "remove "+k)
		default:
			parts = append(parts, fmt.Sprintf("%s back to %s", k, ch.To))
		}
	}
	if len(parts) > 8 {
		parts = append(parts[:8], fmt.Sprintf("%d more", len(parts)-8))
	}
	return strings.Join(parts, ", ")
}

// redo records this undo's own prior values, so it can be undone too.
func (c *call) redo(ctx context.Context, undone int64, u *audit.Undo, cur map[string]string, form url.Values, del []string, out *undoOut) {
	var rec *audit.Undo
	switch u.Op {
	case "set":
		after, err := c.configStrings(ctx, u.Path)
		if err != nil {
			return
		}
		out.Digest = after["digest"]
		keys := append(undoKeys(form), del...)
		slices.Sort(keys)
		rec = undoSet(u.Path, keys, cur, after)
	case "create":
		collection := path.Dir(u.Path)
		digest, err := c.haListDigest(ctx, collection)
		if err != nil {
			return
		}
		out.Digest = digest
		rec = undoObject("delete", u.Path, collection, cur, digest)
	case "delete":
		keys, err := c.haObject(ctx, u.Path)
		if err != nil {
			return
		}
		out.Digest = keys["digest"]
		for k, v := range keys {
			if k != "digest" && out.Restored[k].To == "" {
				out.Restored[k] = change{To: v}
			}
		}
		rec = undoObject("create", u.Path, u.Create, keys, keys["digest"])
	}
	rec.Undoes = undone
	recordUndo(ctx, rec)
}
