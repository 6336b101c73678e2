package tools

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// hideOutside drops, anywhere in an answer, the objects about a guest or a
// node outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST: list entries and
// members (of pools, HA groups, backup jobs' guest lists) alike, as the
// typed lists do. Without an allowlist the answer stays as it came.
func (c *call) hideOutside(raw json.RawMessage) json.RawMessage {
	if !c.allow.Any() || len(raw) == 0 || (raw[0] != '[' && raw[0] != '{') {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw
	}
	changed := false
	var walk func(x any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, val := range x {
				x[k] = walk(val)
			}
		case []any:
			kept := x[:0]
			for _, el := range x {
				if m, ok := el.(map[string]any); ok && !c.objectAllowed(m) {
					changed = true
					continue
				}
				kept = append(kept, walk(el))
			}
			return kept
		}
		return x
	}
	v = walk(v)
	if !changed {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("[]")
	}
	return out
}

// objectAllowed reads the guest an object is about from vmid, guest, an
// HA sid ("vm:105") or a task's id, and its node.
func (c *call) objectAllowed(m map[string]any) bool {
	if m["type"] == "pool" {
		return false // a pool spans guests and nodes, as in pve_cluster_resources
	}
	if n, ok := m["node"].(string); ok && n != "" && !c.allow.NodeAllowed(n) {
		return false
	}
	for _, k := range []string{"vmid", "guest"} {
		if id, ok := guestID(m[k]); ok && !c.allow.VMIDAllowed(id) {
			return false
		}
	}
	if sid, ok := m["sid"].(string); ok {
		if _, num, ok := strings.Cut(sid, ":"); ok {
			if id, ok := guestID(num); ok && !c.allow.VMIDAllowed(id) {
				return false
			}
		}
	}
	if _, task := m["upid"]; task {
		if id, ok := guestID(m["id"]); ok && id >= 100 && !c.allow.VMIDAllowed(id) {
			return false
		}
	}
	return true
}

func guestID(v any) (int, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = v
	default:
		return 0, false
	}
	id, err := strconv.Atoi(s)
	return id, err == nil
}
