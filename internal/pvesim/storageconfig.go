package pvesim

import "strings"

func (s *Sim) storageConfigList(c *call) (any, error) {
	out := []map[string]any{}
	for _, d := range c.st.storages {
		if !s.canSeeStorage(c.authid, d.id) {
			continue
		}
		out = append(out, storageConfigJSON(d))
	}
	return out, nil
}

func storageConfigJSON(d *storageDef) map[string]any {
	m := map[string]any{"storage": d.id, "type": d.typ, "content": strings.Join(d.content, ","), "digest": "6a3c1f5e0d27b8c4f9e1a2b3c4d5e6f708192a3b"}
	if d.path != "" {
		m["path"] = d.path
	}
	if d.vgname != "" {
		m["vgname"] = d.vgname
		m["thinpool"] = d.thinpool
	}
	if d.shared {
		m["shared"] = 1
	}
	if d.typ == "nfs" {
		m["server"], m["export"], m["options"] = "192.168.100.50", "/srv/nfs/"+d.id, "vers=4.2"
	}
	if fileBased(d.typ) && hasContent(d, "backup") {
		m["prune-backups"] = "keep-all=1"
	}
	pbsConfig(m, d)
	return m
}

func (s *Sim) storageConfigGet(c *call) (any, error) {
	for _, d := range c.st.storages {
		if d.id == c.params["storage"] {
			return storageConfigJSON(d), nil
		}
	}
	return nil, failf("storage '%s' does not exist", c.params["storage"])
}
