package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
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
