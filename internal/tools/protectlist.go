package tools

import (
	"bytes"
	"encoding/json"
	"strconv"
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
		var row struct {
			Tags string `json:"tags"`
		}
		if json.Unmarshal(it, &row) != nil || row.Tags == "" {
			continue
		}
		tag := c.Guard.ProtectedTag(row.Tags)
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
