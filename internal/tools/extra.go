package tools

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var extraKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_\-]*$`)

// mergeExtra adds the raw Proxmox parameters of extra to form, last, as the
// reference design does. reserved keys belong to the path or to the tool.
func mergeExtra(form url.Values, extra map[string]any, reserved ...string) error {
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
		v, err := formValue(extra[k])
		if err != nil {
			return fmt.Errorf("invalid argument \"extra.%s\": %v", k, err)
		}
		form.Set(k, v)
	}
	return nil
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
