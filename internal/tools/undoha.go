package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// The undo records of HA rules and groups: adding one is undone by
// deleting it, deleting one by adding it again with what it held. Their
// digest is the whole rules (or groups) file's.

// haObject reads one rule or group as the keys a POST takes back, and
// the file's digest.
func (c *call) haObject(ctx context.Context, path string) (map[string]string, error) {
	var obj map[string]json.RawMessage
	if err := c.PVE.Get(ctx, path, nil, &obj); err != nil {
		return nil, err
	}
	keys := textValues(obj)
	// Read-only: where it stands, and what the HA manager found wrong.
	delete(keys, "order")
	delete(keys, "errors")
	return keys, nil
}

// haListDigest is the digest of the rules or groups file, which every
// item of the list carries; "" for an empty list.
func (c *call) haListDigest(ctx context.Context, collection string) (string, error) {
	var list []struct {
		Digest string `json:"digest"`
	}
	if err := c.PVE.Get(ctx, collection, nil, &list); err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", nil
	}
	return list[0].Digest, nil
}

// undoRuleDelete reads the rule before a delete, when the audit log is
// on; the function it returns records the deletion.
func (c *call) undoRuleDelete(ctx context.Context, collection, id, what string) (func(), error) {
	if undoing(ctx) == nil {
		return func() {}, nil
	}
	path := collection + "/" + url.PathEscape(id)
	keys, err := c.haObject(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: it could not be read for the audit log's undo record, so nothing was deleted: %w", what, err)
	}
	return func() {
		if digest, err := c.haListDigest(ctx, collection); err == nil {
			recordUndo(ctx, undoObject("delete", path, collection, keys, digest))
		}
	}, nil
}

// undoRuleCreate records the rule just added, when the audit log is on.
func (c *call) undoRuleCreate(ctx context.Context, collection, id string) {
	if undoing(ctx) == nil {
		return
	}
	path := collection + "/" + url.PathEscape(id)
	if keys, err := c.haObject(ctx, path); err == nil {
		recordUndo(ctx, undoObject("create", path, collection, keys, keys["digest"]))
	}
}

// undoPaths are the objects each tool's undo record may name: an undo
// puts values back where that tool wrote, never anywhere else, even from
// a log someone else wrote.
var undoPaths = map[string]*lazyre.Regexp{
	"pve_vm_set_config":    lazyre.New(`^/nodes/[^/]+/qemu/[0-9]+/config$`),
	"pve_vm_cloudinit":     lazyre.New(`^/nodes/[^/]+/qemu/[0-9]+/config$`),
	"pve_lxc_set_config":   lazyre.New(`^/nodes/[^/]+/lxc/[0-9]+/config$`),
	"pve_firewall_options": lazyre.New(`^(/cluster|/nodes/[^/]+(/(qemu|lxc)/[0-9]+)?)/firewall/options$`),
	"pve_ha_rules":         lazyre.New(`^/cluster/ha/(rules|groups)/[^/]+$`),
}

// checkUndoRecord refuses a record that names another object than its
// tool writes, a parameter that is not a config key, or no digest.
func checkUndoRecord(tool string, u *audit.Undo) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: the undo record of this %s entry %s, which no %s change records; it is not used", errRefused, tool, why, tool)
	}
	re, ok := undoPaths[tool]
	if tool == "pve_undo" {
		re, ok = undoAny, true
	}
	switch {
	case !ok || !re.MatchString(u.Path) || strings.Contains(u.Path, ".."):
		return bad("names " + u.Path)
	case u.Op == "set" && u.After == "":
		return bad("holds no digest")
	case u.Op != "set" && u.Op != "create" && u.Op != "delete":
		return bad("has op " + u.Op)
	case (u.Op == "create" || u.Op == "delete") && !strings.HasPrefix(u.Path, "/cluster/ha/"),
		u.Op == "delete" && u.Create != path.Dir(u.Path):
		return bad("re-creates " + u.Path + " at " + u.Create)
	}
	for k := range u.Keys {
		if !extraKeyRe.MatchString(k) || undoControl[k] {
			return bad("sets parameter " + k)
		}
	}
	return nil
}

// undoAny is every path of undoPaths: what an undo's own record names.
var undoAny = lazyre.New(`^(/nodes/[^/]+/(qemu|lxc)/[0-9]+/config|(/cluster|/nodes/[^/]+(/(qemu|lxc)/[0-9]+)?)/firewall/options|/cluster/ha/(rules|groups)/[^/]+)$`)
