package tools

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

var extraKeyRe = lazyre.New(`^[a-z][a-z0-9_\-]*$`)

// restoreKeys turn a create into a restore; pve_restore is the tool for that,
// with its confirmation.
var restoreKeys = []string{"archive", "force", "restore", "live-restore", "unique"}

// keyAliases are top-level parameters Proxmox stores under another key.
var keyAliases = map[string]string{"cdrom": "ide2"}

// endpoint is an API path a tool sends extra to, built by at from the
// schema's template ("/nodes/{node}/qemu/{vmid}/config"), which the tool
// states once.
type endpoint struct {
	path   string   // "/nodes/pve1/qemu/100/config"
	params []string // the template's {name} segments, each named as the tool argument it comes from
}

// at fills template's {name} segments with values, in order, each escaped
// as one path segment.
func at(template string, values ...string) endpoint {
	var e endpoint
	var segs []string
	for _, seg := range strings.Split(strings.TrimPrefix(template, "/"), "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			if len(values) == 0 {
				panic("tools: endpoint " + template + " needs a value for " + seg)
			}
			e.params = append(e.params, strings.TrimSuffix(name, "}"))
			seg, values = values[0], values[1:]
		}
		segs = append(segs, seg)
	}
	if len(values) > 0 {
		panic("tools: endpoint " + template + " has fewer path parameters than values")
	}
	e.path = pve.Path(segs...)
	return e
}

// addExtra adds the raw Proxmox parameters of extra to form, which goes
// to ep. A key the tool already built from its own arguments (or its
// alias), or that is part of ep's path, cannot be set or replaced here:
// args names the argument for each body key the tool builds. The request
// guard then reads every value, extra's included, as Proxmox would.
func (c *call) addExtra(form url.Values, extra map[string]any, ep endpoint, args map[string]string, reserved ...string) error {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var bad []string
	for _, k := range keys {
		canon := k
		if a, ok := keyAliases[k]; ok {
			canon = a
		}
		switch {
		case len(k) > 64:
			bad = append(bad, fmt.Sprintf("a key of %d bytes is not a Proxmox parameter name (at most 64)", len(k)))
			continue
		case !extraKeyRe.MatchString(k):
			bad = append(bad, fmt.Sprintf("key %q is not a Proxmox parameter name (lower-case letters, digits, '-' and '_')", k))
			continue
		case slices.Contains(restoreKeys, k):
			bad = append(bad, fmt.Sprintf("key %q would restore a backup over a guest; use pve_restore, which asks for confirmation", k))
			continue
		case slices.Contains(reserved, canon):
			bad = append(bad, fmt.Sprintf("key %q cannot be set through extra", k))
			continue
		}
		arg := args[canon]
		if slices.Contains(ep.params, canon) {
			arg = canon
		}
		if _, built := form[canon]; built || arg != "" {
			if arg == "" {
				arg = "its own arguments"
			}
			bad = append(bad, fmt.Sprintf("key %q is set by the tool from %s; use that instead of extra", k, arg))
			continue
		}
		if k != canon && slices.Contains(keys, canon) {
			bad = append(bad, fmt.Sprintf("keys %q and %q are the same Proxmox parameter; give one", k, canon))
			continue
		}
		v, err := formValue(extra[k])
		if err != nil {
			bad = append(bad, fmt.Sprintf("extra.%s: %v", k, err))
			continue
		}
		form.Set(k, v)
		c.PVE.Name(k, "extra."+k)
	}
	if len(bad) > 0 {
		return fmt.Errorf("invalid argument \"extra\": %s", strings.Join(bad, "; "))
	}
	return nil
}

func formValue(v any) (string, error) {
	switch x := v.(type) {
	case bool:
		return pve.Bool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case string:
		if strings.ContainsAny(x, "\x00\r\n") {
			return "", fmt.Errorf("value must not contain line breaks or NUL")
		}
		return x, nil
	case nil:
		return "", fmt.Errorf("value is null; use a string, number or boolean")
	}
	return "", fmt.Errorf("got %T; expected a string, number or boolean", v)
}
