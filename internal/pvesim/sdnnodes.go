package pvesim

// The node's view of SDN (PVE::Network::SDN::Zones::status): what the
// running configuration puts on this node, "pending" until the node's
// network was reloaded with it.

func (s *Sim) sdnNodeRoutes() []route {
	z := "/nodes/{node}/sdn/zones"
	return []route{
		{method: "GET", tmpl: "/nodes/{node}/sdn", h: indexOf("name")},
		{method: "GET", tmpl: z, h: s.sdnNodeZones},
		{method: "GET", tmpl: z + "/{zone}", h: indexOf("subdir")},
		{method: "GET", tmpl: z + "/{zone}/content", h: s.sdnNodeZoneContent},
	}
}

// sdnOnNode tells whether a running zone is configured on the node.
func sdnOnNode(zone map[string]string, node string) bool {
	nodes, ok := zone["nodes"]
	return !ok || contains(splitList(nodes), node)
}

func (s *Sim) sdnNodeZones(c *call) (any, error) {
	sd := c.st.sdn()
	node := c.params["node"]
	out := []map[string]any{}
	if sd.version == 0 {
		return out, nil
	}
	status := "available"
	if sd.nodeVersion[node] < sd.version {
		status = "pending"
	}
	zones := sd.running["zones"]
	for _, id := range sortedKeys(zones) {
		if !sdnOnNode(zones[id], node) || !s.has(c.authid, "/sdn/zones/"+id, "SDN.Audit") {
			continue
		}
		out = append(out, map[string]any{"zone": id, "status": status})
	}
	return out, nil
}

func (s *Sim) sdnNodeZoneContent(c *call) (any, error) {
	sd := c.st.sdn()
	node, zone := c.params["node"], c.params["zone"]
	out := []map[string]any{}
	if sd.version == 0 {
		return out, nil
	}
	z := sd.running["zones"][zone]
	if z == nil || !sdnOnNode(z, node) {
		return out, nil
	}
	vnets := sd.running["vnets"]
	for _, id := range sortedKeys(vnets) {
		if vnets[id]["zone"] == zone {
			out = append(out, map[string]any{"vnet": id, "status": "available"})
		}
	}
	return out, nil
}
