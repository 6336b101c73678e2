package tools

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/jsonscan"
)

// markProtected adds "protected" to the listed guests whose tags protect
// them (PVE_PROTECTED_TAGS), so a list shows what no tool will change.
// Proxmox's own protection flag lives in the config, which lists do not
// read: pve_vm_config and pve_lxc_config show it, and every write checks it.
func (c *call) markProtected(out *listOut) {
	for i, it := range out.Items {
		if !bytes.Contains(it, []byte(`"tags"`)) || len(it) < 2 || it[len(it)-1] != '}' {
			continue
		}
		tags, ok := tagsOf(it)
		if !ok || tags == "" {
			continue
		}
		tag := c.Guard.ProtectedTag(tags)
		if tag == "" {
			continue
		}
		marked := make([]byte, 0, len(it)+32+len(tag))
		marked = append(marked, it[:len(it)-1]...)
		marked = append(marked, `,"protected":`...)
		marked = strconv.AppendQuote(marked, "tag "+tag)
		out.Items[i] = append(marked, '}')
	}
}

// tagsOf reads an item's tags as json.Unmarshal into a struct with a Tags
// string would (false where it fails), without its cost on every item of
// a long list: the plain case is scanned, anything else decoded.
func tagsOf(item []byte) (string, bool) {
	var val []byte
	plain := true
	err := jsonscan.Members(item, func(k, v []byte) bool {
		switch {
		case string(k) == "tags":
			val = v
		case len(k) >= 4 && len(k) <= 12 && bytes.EqualFold(k, []byte("tags")): // encoding/json folds case
			plain = false
		}
		return plain
	})
	if err == nil && plain {
		if val == nil {
			return "", true
		}
		if len(val) >= 2 && val[0] == '"' && !bytes.ContainsRune(val, '\\') && utf8.Valid(val) {
			return string(val[1 : len(val)-1]), true
		}
	}
	var row struct {
		Tags string `json:"tags"`
	}
	return row.Tags, json.Unmarshal(item, &row) == nil
}
