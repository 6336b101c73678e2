package tools

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// The schema release extra parameters are checked against.
const extraSchemaVersion = "9.1"

var (
	extraKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_\-]*$`)
	// Keys that remove or replace data: a disk key may point an existing
	// slot at another volume, detaching the old one.
	destructiveKeyRe = regexp.MustCompile(`^(delete|revert|rootfs|(scsi|virtio|sata|ide|efidisk|tpmstate|unused|mp)\d+)$`)
)

// mergeExtra checks the raw Proxmox parameters of extra against the schema of
// the endpoint (method and path template) and adds them to form, last, as the
// reference design does. reserved keys belong to the path or to the tool.
func (c *call) mergeExtra(method, template string, path map[string]string, form url.Values, extra map[string]any, reserved ...string) error {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !extraKeyRe.MatchString(k) {
			return fmt.Errorf("invalid argument \"extra\": key %q is not a Proxmox parameter name (lower-case letters, digits, '-' and '_')", k)
		}
		if slices.Contains(reserved, k) {
			return fmt.Errorf("invalid argument \"extra\": key %q cannot be set through extra; use the tool's own argument", k)
		}
		if strings.HasSuffix(template, "/qemu") || strings.HasSuffix(template, "/lxc") {
			if slices.Contains(restoreKeys, k) {
				return fmt.Errorf("invalid argument \"extra\": key %q would restore a backup over a guest; use pve_restore, which asks for confirmation", k)
			}
		}
		v, err := formValue(extra[k])
		if err != nil {
			return fmt.Errorf("invalid argument \"extra.%s\": %v", k, err)
		}
		form.Set(k, v)
	}
	if len(keys) == 0 {
		return nil
	}
	target := path["vmid"] // set_config: in the path; create: in the form
	if target == "" {
		target = form.Get("vmid")
	}
	if vmid, err := strconv.Atoi(target); err == nil {
		flat := map[string]string{}
		for _, k := range keys {
			flat[k] = form.Get(k)
		}
		if err := c.checkVolumes(VMID(vmid), flat); err != nil {
			return err
		}
	}
	if c.Schemas == nil {
		return nil
	}
	return c.checkAgainstSchema(method, template, path, form, keys)
}

func (c *call) checkAgainstSchema(method, template string, path map[string]string, form url.Values, keys []string) error {
	schema, err := c.Schemas.Load(extraSchemaVersion)
	if err != nil {
		return fmt.Errorf("load Proxmox API schema: %w", err)
	}
	ep, ok := schema.Endpoint(method, template)
	if !ok {
		return fmt.Errorf("no Proxmox API schema for %s %s", method, template)
	}
	for _, k := range keys {
		if _, ok := ep.Param(k); !ok {
			msg := fmt.Sprintf("invalid argument \"extra\": Proxmox's %s %s has no parameter %q", method, template, k)
			if near := pveschema.Suggest(ep.ParamNames(), k); len(near) > 0 {
				msg += "; did you mean " + strings.Join(near, ", ") + "?"
			}
			return fmt.Errorf("%s", msg)
		}
	}
	params := map[string]string{}
	for k, v := range path {
		params[k] = v
	}
	for k, v := range form {
		params[k] = v[0]
	}
	errs := ep.Validate(params)
	var bad []string
	for _, k := range keys {
		if msg, ok := errs[k]; ok {
			bad = append(bad, fmt.Sprintf("extra.%s = %q: %s", k, params[k], strings.TrimSpace(msg)))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("invalid argument \"extra\" (Proxmox would refuse it): %s", strings.Join(bad, "; "))
	}
	return nil
}

// destructiveKeys lists the extra keys that remove, revert or replace data.
func destructiveKeys(extra map[string]any) []string {
	var out []string
	for k := range extra {
		if destructiveKeyRe.MatchString(k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func formValue(v any) (string, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
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
