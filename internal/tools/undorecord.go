package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Undo records (issue 20): a config change that succeeded keeps, in its
// audit result entry, the prior value of each key it set or deleted and
// the object's digest before and after, so pve_undo can put the object
// back exactly, and only while nothing else changed it. Without an audit
// log nothing is read for it.

// undoing is the call's audit record when the log is on, else nil.
func undoing(ctx context.Context) *auditCall {
	ac, _ := ctx.Value(auditKey{}).(*auditCall)
	return ac
}

// recordUndo keeps u for the call's result entry.
func recordUndo(ctx context.Context, u *audit.Undo) {
	if ac := undoing(ctx); ac != nil && u != nil {
		ac.undo = u
	}
}

// undoControl are the parameters of a config write that steer it rather
// than set a key.
var undoControl = map[string]bool{"digest": true, "delete": true, "revert": true, "skiplock": true, "force": true,
	"background_delay": true, "skip_cloud_init": true}

// configIDList splits Proxmox's pve-configid-list (delete, revert).
var configIDList = lazyre.New(`[,;\s]+`)

// undoKeys are the keys a write's form sets, deletes or reverts.
func undoKeys(form url.Values) []string {
	var keys []string
	for k := range form {
		if !undoControl[k] {
			keys = append(keys, k)
		}
	}
	for _, k := range []string{"delete", "revert"} {
		for _, x := range configIDList.Split(form.Get(k), -1) {
			if x != "" {
				keys = append(keys, x)
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// undoSet records a change to keys of the object at path, read as text
// before and after it (their "digest" keys are the digests).
func undoSet(path string, keys []string, before, after map[string]string) *audit.Undo {
	u := &audit.Undo{Op: "set", Path: path, Keys: map[string]audit.UndoKey{}, Before: before["digest"], After: after["digest"]}
	for _, k := range keys {
		if k != "digest" {
			u.Keys[k] = undoKey(k, before, after)
		}
	}
	return u
}

// undoKey is one key's values; a secret's are never kept, only whether
// it had one.
func undoKey(k string, before, after map[string]string) audit.UndoKey {
	val := func(m map[string]string) *string {
		v, ok := m[k]
		switch {
		case !ok:
			return nil
		case secretArg(k):
			v = "***"
		}
		return &v
	}
	return audit.UndoKey{Before: val(before), After: val(after), Secret: secretArg(k)}
}

// undoObject records the creation (op create) or deletion (op delete) of
// the object at path with its keys; digest is the collection's after it.
func undoObject(op, path, collection string, keys map[string]string, digest string) *audit.Undo {
	u := &audit.Undo{Op: op, Path: path, Keys: map[string]audit.UndoKey{}, After: digest}
	if op == "delete" {
		u.Create = collection
	}
	for k := range keys {
		if k == "digest" {
			continue
		}
		if op == "create" {
			u.Keys[k] = undoKey(k, nil, keys)
		} else {
			u.Keys[k] = undoKey(k, keys, nil)
		}
	}
	return u
}

// textValues is a JSON object with every value as text, as a write
// sends it back.
func textValues(obj map[string]json.RawMessage) map[string]string {
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = strings.TrimSpace(string(v))
		}
		out[k] = s
	}
	return out
}

// anyText is textValues for a map already decoded.
func anyText(obj map[string]any, digest string) map[string]string {
	out := make(map[string]string, len(obj)+1)
	for k, v := range obj {
		b, _ := json.Marshal(v)
		out[k] = textValues(map[string]json.RawMessage{k: b})[k]
	}
	if digest != "" {
		out["digest"] = digest
	}
	return out
}

// undoBefore reads a guest config before a write to it, when the audit
// log is on; the function it returns reads it again after the write and
// records the keys form changed. A config that cannot be read first
// stops the write: the change would not be undoable.
func (c *call) undoBefore(ctx context.Context, path, what string) (func(form url.Values), error) {
	if undoing(ctx) == nil {
		return func(url.Values) {}, nil
	}
	before, err := c.configStrings(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: the config could not be read for the audit log's undo record, so nothing was changed: %w", what, err)
	}
	return func(form url.Values) {
		if after, err := c.configStrings(ctx, path); err == nil {
			recordUndo(ctx, undoSet(path, undoKeys(form), before, after))
		}
	}, nil
}
