package pvesim

import (
	"sort"
	"strings"
)

// propString is a parsed PVE property string ("virtio=BC:..,bridge=vmbr0").
// Validation is the schema's job; this only reads and rewrites values the
// simulator already accepted.
type propString struct {
	defKey string
	keys   []string
	vals   map[string]string
}

func parsePropString(s, defKey string) *propString {
	p := &propString{defKey: defKey, vals: map[string]string{}}
	if s == "" {
		return p
	}
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			k, v = defKey, part
		}
		if _, dup := p.vals[k]; !dup {
			p.keys = append(p.keys, k)
		}
		p.vals[k] = v
	}
	return p
}

func (p *propString) get(k string) string { return p.vals[k] }

func (p *propString) has(k string) bool { _, ok := p.vals[k]; return ok }

func (p *propString) set(k, v string) {
	if _, ok := p.vals[k]; !ok {
		p.keys = append(p.keys, k)
	}
	p.vals[k] = v
}

func (p *propString) del(k string) {
	if _, ok := p.vals[k]; !ok {
		return
	}
	delete(p.vals, k)
	for i, x := range p.keys {
		if x == k {
			p.keys = append(p.keys[:i], p.keys[i+1:]...)
			break
		}
	}
}

// String prints the canonical form: the default key first without "key=",
// then the other keys in alphabetical order (print_property_string).
func (p *propString) String() string {
	var parts []string
	if v, ok := p.vals[p.defKey]; ok && p.defKey != "" {
		parts = append(parts, v)
	}
	rest := make([]string, 0, len(p.keys))
	for _, k := range p.keys {
		if k != p.defKey {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		parts = append(parts, k+"="+p.vals[k])
	}
	return strings.Join(parts, ",")
}

// netModels are the qemu NIC models that may carry the MAC as "<model>=<mac>".
var netModels = map[string]bool{
	"e1000": true, "e1000-82540em": true, "e1000-82544gc": true, "e1000-82545em": true, "e1000e": true,
	"i82551": true, "i82557b": true, "i82559er": true, "ne2k_isa": true, "ne2k_pci": true, "pcnet": true,
	"rtl8139": true, "virtio": true, "vmxnet3": true,
}

// canonicalQemuNet rewrites a qemu net[n] value to "<model>=<MAC>,..." and
// generates a MAC when none was given.
func canonicalQemuNet(v string, mac func() string) string {
	p := parsePropString(v, "model")
	model := p.get("model")
	addr := p.get("macaddr")
	for _, k := range p.keys {
		if netModels[k] && k != "model" {
			model, addr = k, p.get(k)
			p.del(k)
			break
		}
	}
	p.del("model")
	p.del("macaddr")
	if addr == "" {
		addr = mac()
	}
	rest := append(make([]string, 0, len(p.keys)), p.keys...)
	sort.Strings(rest)
	parts := []string{model + "=" + strings.ToUpper(addr)}
	for _, k := range rest {
		parts = append(parts, k+"="+p.vals[k])
	}
	return strings.Join(parts, ",")
}

// canonicalLxcNet orders an LXC net[n] value (no default key; name first like
// the required key) and generates hwaddr when missing.
func canonicalLxcNet(v string, mac func() string) string {
	p := parsePropString(v, "")
	if p.get("hwaddr") == "" {
		p.set("hwaddr", mac())
	}
	if !p.has("type") {
		p.set("type", "veth")
	}
	parts := []string{"name=" + p.get("name")}
	var rest []string
	for _, k := range p.keys {
		if k != "name" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		parts = append(parts, k+"="+p.vals[k])
	}
	return strings.Join(parts, ",")
}

// propValue is parsePropString(s, defKey).get(k) without building the map:
// status reads of thousands of guests take a size or two from each config.
func propValue(s, defKey, k string) string {
	v := ""
	for s != "" {
		part := s
		if i := strings.IndexByte(s, ','); i >= 0 {
			part, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			key, val = defKey, part
		}
		if key == k {
			v = val // the last one wins, as in parsePropString
		}
	}
	return v
}
