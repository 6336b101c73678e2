package pvesim

import (
	"sort"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// dcOptions is /etc/pve/datacenter.cfg: the values as written to the file
// (strings), the description kept as the comment lines on top.
type dcOptions struct {
	vals        map[string]string
	description string
}

// datacenter is the cluster's datacenter.cfg; the installer writes the
// keyboard layout chosen during setup.
func (st *state) datacenter() *dcOptions {
	if st.dcOpts == nil {
		st.dcOpts = &dcOptions{vals: map[string]string{"keyboard": "en-us"}}
	}
	return st.dcOpts
}

// proxmoxOUI is the default MAC prefix (DataCenterConfig.pm $PROXMOX_OUI).
const proxmoxOUI = "BC:24:11"

// Keys of datacenter.cfg that parse_datacenter_config turns into objects.
var dcPropertyKeys = map[string]bool{"crs": true, "migration": true, "replication": true, "next-id": true, "ha": true,
	"notify": true, "u2f": true, "webauthn": true, "tag-style": true, "user-tag-access": true}

func (s *Sim) dcSchema() *pveschema.Endpoint {
	ep, _ := s.router.schema.Endpoint("PUT", "/cluster/options")
	return ep
}

// macPrefixDefault tells whether the release fills in the default MAC
// prefix on read and leaves it out on write (PVE 8.1 on).
func (s *Sim) macPrefixDefault() bool {
	p, ok := s.dcSchema().Param("mac_prefix")
	return ok && len(p.Default) > 0
}

// parsedDatacenter is parse_datacenter_config: property strings become
// objects (integers stay strings, booleans become 0/1), tag lists arrays,
// and the description is the comment text ("" without one).
func (s *Sim) parsedDatacenter(dc *dcOptions) map[string]any {
	ep := s.dcSchema()
	res := map[string]any{"description": dc.description}
	for k, v := range dc.vals {
		p, ok := ep.Param(k)
		switch {
		case !ok:
			res[k] = v
		case dcPropertyKeys[k]:
			m, err := pveschema.ReadPropertyString(p, v)
			if err != nil {
				continue
			}
			obj := map[string]any{}
			keys := pveschema.PropertyKeys(p)
			for kk, vv := range m {
				if kp := keys[kk]; kp != nil && kp.Type == "boolean" {
					obj[kk] = b2i(vv == "1")
				} else {
					obj[kk] = vv
				}
			}
			if l, ok := m["user-allow-list"]; ok {
				obj["user-allow-list"] = strings.Split(l, ";")
			}
			res[k] = obj
		case k == "registered-tags":
			res[k] = strings.Split(v, ";")
		case p.Type == "boolean":
			b, _ := pveschema.ParseBool(v)
			res[k] = b2i(b)
		default:
			res[k] = v
		}
	}
	if _, ok := res["mac_prefix"]; !ok && s.macPrefixDefault() {
		res["mac_prefix"] = proxmoxOUI
	}
	if u, ok := res["migration_unsecure"].(int); ok {
		mig, _ := res["migration"].(map[string]any)
		if mig == nil {
			mig = map[string]any{}
			res["migration"] = mig
		}
		if _, set := mig["type"]; !set {
			mig["type"] = map[bool]string{true: "insecure", false: "secure"}[u == 1]
		}
	}
	if res["console"] == "applet" {
		res["console"] = "html5"
	}
	return res
}

// getClusterOptions is GET /cluster/options: all of datacenter.cfg with
// Sys.Audit on /, else only console and tag-style; plus the tags the
// caller may use.
func (s *Sim) getClusterOptions(c *call) (any, error) {
	all := s.parsedDatacenter(c.st.datacenter())
	res := all
	if !s.has(c.authid, "/", "Sys.Audit") {
		res = map[string]any{}
		for _, k := range []string{"console", "tag-style"} {
			if v, ok := all[k]; ok {
				res[k] = v
			}
		}
	}
	res["allowed-tags"] = s.allowedTags(c, all)
	return res, nil
}

// allowedTags is GuestHelpers get_allowed_tags: the user's allow list and
// the tags of the guests the caller may audit, the registered tags only
// for callers with Sys.Modify on /.
func (s *Sim) allowedTags(c *call, dc map[string]any) []string {
	privileged := s.has(c.authid, "/", "Sys.Modify")
	access, _ := dc["user-tag-access"].(map[string]any)
	allow := "free"
	if v, ok := access["user-allow"].(string); ok {
		allow = v
	}
	tags := map[string]bool{}
	if allow != "none" || privileged {
		list, _ := access["user-allow-list"].([]string)
		for _, t := range list {
			tags[t] = true
		}
	}
	if allow == "free" || allow == "existing" || privileged {
		for _, g := range c.st.sortedGuests() {
			if !privileged && !s.has(c.authid, "/vms/"+strconv.Itoa(g.vmid), "VM.Audit") {
				continue
			}
			for _, t := range splitList(g.conf["tags"]) {
				tags[t] = true
			}
		}
	}
	registered, _ := dc["registered-tags"].([]string)
	for _, t := range registered {
		tags[t] = privileged
	}
	out := []string{}
	for t, ok := range tags {
		if ok {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// putClusterOptions is PUT /cluster/options: set the given keys, then drop
// the deleted ones, and write the file as write_datacenter_config does.
func (s *Sim) putClusterOptions(c *call) (any, error) {
	dc := c.st.datacenter()
	vals := copyConf(dc.vals)
	desc := dc.description
	for k, v := range c.params {
		switch k {
		case "delete":
		case "description":
			desc = v
		default:
			vals[k] = v
		}
	}
	for _, k := range splitList(c.params["delete"]) {
		if k == "description" {
			desc = ""
		}
		delete(vals, k)
	}
	if u, ok := vals["migration_unsecure"]; ok {
		if _, set := vals["migration"]; !set {
			b, _ := pveschema.ParseBool(u)
			delete(vals, "migration_unsecure")
			vals["migration"] = map[bool]string{true: "insecure", false: "secure"}[b]
		}
	}
	if vals["console"] == "applet" {
		vals["console"] = "html5"
	}
	if v, ok := vals["mac_prefix"]; ok && strings.EqualFold(v, proxmoxOUI) && s.macPrefixDefault() {
		delete(vals, "mac_prefix")
	}
	if v, ok := vals["next-id"]; ok {
		p, _ := s.dcSchema().Param("next-id")
		m, _ := pveschema.ReadPropertyString(p, v)
		lower := atoi64Default(m["lower"], 100)
		upper := atoi64Default(m["upper"], 1000000)
		if lower > upper {
			return nil, failf("lower (%d) <= upper (%d) boundary rule broken", lower, upper)
		}
		ps := &propString{vals: map[string]string{}}
		for _, kk := range sortedKeys(m) {
			ps.set(kk, m[kk])
		}
		vals["next-id"] = ps.String()
	}
	dc.vals, dc.description = vals, dcDescription(desc)
	return nil, nil
}

// dcDescription is the description as it reads back from the comment
// lines it is written to: each line ends with a newline; trailing empty
// lines are gone (Perl's split).
func dcDescription(d string) string {
	lines := strings.Split(d, "\n")
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}
