package pvesim

import "encoding/json"

// vzdumpDefaults is GET /nodes/{node}/vzdump/defaults: read_vzdump_defaults
// (the schema's defaults, vzdump.conf has nothing set here) with the
// storage asked for, else local, whose dump directory and retention it
// adds; mailto and script only for callers with Sys.Audit on the node.
func (s *Sim) vzdumpDefaults(c *call) (any, error) {
	out := map[string]any{}
	if props, ok := returnProps(c.ep.Returns); ok {
		for k, p := range props {
			if len(p.Default) == 0 {
				continue
			}
			var v any
			if json.Unmarshal(p.Default, &v) == nil {
				if f, isNum := v.(float64); isNum && p.Type != "number" {
					v = int64(f)
				}
				out[k] = v
			}
		}
	}
	sid := c.params["storage"]
	if sid == "" {
		sid = "local"
	}
	out["storage"] = sid
	if err := c.checkAny("/storage/"+sid, "Datastore.Audit", "Datastore.AllocateSpace"); err != nil {
		return nil, err
	}
	d := c.st.storageDef(sid)
	if d == nil {
		return nil, failf("storage '%s' does not exist", sid)
	}
	if d.path != "" {
		out["dumpdir"] = d.path + "/dump"
	}
	if !c.s.has(c.authid, "/nodes/"+c.params["node"], "Sys.Audit") {
		delete(out, "mailto")
		delete(out, "script")
	}
	return out, nil
}

type returnProp struct {
	Type    string          `json:"type"`
	Default json.RawMessage `json:"default"`
}

// returnProps reads the properties of an endpoint's object answer.
func returnProps(raw json.RawMessage) (map[string]returnProp, bool) {
	var r struct {
		Properties map[string]returnProp `json:"properties"`
	}
	if json.Unmarshal(raw, &r) != nil || r.Properties == nil {
		return nil, false
	}
	return r.Properties, true
}
