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
				// HA manager status keys its services by sid ("vm:105")
				if id, ok := sidGuest(k); ok && !c.allow.VMIDAllowed(id) {
					delete(x, k)
					changed = true
					continue
				}
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
	if n, ok := m["name"].(string); ok && m["type"] == "node" && !c.allow.NodeAllowed(n) {
		return false // /cluster/status
	}
	for _, k := range []string{"vmid", "guest", "vms"} {
		if !c.guestsAllowed(m[k]) {
			return false
		}
	}
	if sid, ok := m["sid"].(string); ok {
		if id, ok := sidGuest(sid); ok && !c.allow.VMIDAllowed(id) {
			return false
		}
	}
	if id, ok := m["id"].(string); ok {
		// resource ids: "qemu/105", "lxc/105", "node/pve2", "storage/pve2/local"
		kind, rest, _ := strings.Cut(id, "/")
		switch kind {
		case "qemu", "lxc":
			if n, err := strconv.Atoi(rest); err == nil && !c.allow.VMIDAllowed(n) {
				return false
			}
		case "node", "storage":
			node, _, _ := strings.Cut(rest, "/")
			if node != "" && !c.allow.NodeAllowed(node) {
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

// guestsAllowed: a vmid, or a list of them ("100,105"), all allowed.
func (c *call) guestsAllowed(v any) bool {
	if id, ok := guestID(v); ok {
		return c.allow.VMIDAllowed(id)
	}
	s, ok := v.(string)
	if !ok || !strings.ContainsAny(s, ", ") {
		return true
	}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if id, err := strconv.Atoi(part); err == nil && !c.allow.VMIDAllowed(id) {
			return false
		}
	}
	return true
}

// sidGuest reads an HA service id, "vm:105" or "ct:105".
func sidGuest(sid string) (int, bool) {
	kind, num, ok := strings.Cut(sid, ":")
	if !ok || (kind != "vm" && kind != "ct") {
		return 0, false
	}
	id, err := strconv.Atoi(num)
	return id, err == nil
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
