package pveschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

type rawFile struct {
	Version   string         `json:"version"`
	Endpoints []*rawEndpoint `json:"endpoints"`
}

type rawEndpoint struct {
	Path        string          `json:"path"`
	Method      string          `json:"method"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Protected   json.RawMessage `json:"protected"`
	AllowToken  json.RawMessage `json:"allowtoken"`
	Proxyto     string          `json:"proxyto"`
	Permissions json.RawMessage `json:"permissions"`
	Returns     json.RawMessage `json:"returns"`
	Parameters  struct {
		AdditionalProperties json.RawMessage      `json:"additionalProperties"`
		Properties           map[string]*rawParam `json:"properties"`
	} `json:"parameters"`
}

type rawParam struct {
	Type              json.RawMessage `json:"type"`
	Optional          json.RawMessage `json:"optional"`
	Description       string          `json:"description"`
	TypeText          string          `json:"typetext"`
	FormatDescription string          `json:"format_description"`
	Default           json.RawMessage `json:"default"`
	Enum              []string        `json:"enum"`
	Minimum           json.RawMessage `json:"minimum"`
	Maximum           json.RawMessage `json:"maximum"`
	MinLength         *int            `json:"minLength"`
	MaxLength         *int            `json:"maxLength"`
	Pattern           string          `json:"pattern"`
	Format            json.RawMessage `json:"format"`
	DefaultKey        json.RawMessage `json:"default_key"`
	Alias             string          `json:"alias"`
	KeyAlias          string          `json:"keyAlias"`
	Requires          json.RawMessage `json:"requires"`
	Items             *rawParam       `json:"items"`
	InstanceTypes     []string        `json:"instance-types"`
}

func parseSchema(data []byte) (*Schema, error) {
	var f rawFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	s := &Schema{version: f.Version, root: &pathNode{}}
	for _, re := range f.Endpoints {
		e, err := convertEndpoint(s.version, re)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", re.Method, re.Path, err)
		}
		s.endpoints = append(s.endpoints, e)
		s.root.insert(e)
	}
	return s, nil
}

func convertEndpoint(version string, re *rawEndpoint) (*Endpoint, error) {
	e := &Endpoint{
		Path:                 re.Path,
		Method:               re.Method,
		Name:                 re.Name,
		Description:          re.Description,
		Protected:            truthy(re.Protected),
		AllowToken:           truthy(re.AllowToken),
		Proxyto:              re.Proxyto,
		Permissions:          re.Permissions,
		Returns:              re.Returns,
		AdditionalProperties: truthy(re.Parameters.AdditionalProperties),
		Params:               make(map[string]*Param, len(re.Parameters.Properties)),
	}
	if len(re.Returns) > 0 {
		var rt struct {
			Type json.RawMessage `json:"type"`
		}
		if json.Unmarshal(re.Returns, &rt) == nil {
			e.ReturnType = rawString(rt.Type)
		}
	}
	for name, rp := range re.Parameters.Properties {
		p, err := convertParam(name, rp)
		if err != nil {
			return nil, fmt.Errorf("param %s: %w", name, err)
		}
		if prefix, ok := strings.CutSuffix(name, "[n]"); ok {
			p.Indexed = true
			p.Prefix = prefix
			p.MaxIndex = indexLimit(prefix, p.Description)
			e.indexed = append(e.indexed, p)
		}
		e.Params[name] = p
	}
	// "cdrom" uses the registered pve-qm-ide format, which is the ide[n] format.
	if ide := e.Params["ide[n]"]; ide != nil && ide.Props != nil {
		for _, p := range e.Params {
			if p.Format == "pve-qm-ide" && p.Props == nil {
				p.Props, p.propsFixed = ide.Props, ide.propsFixed
			}
		}
	}
	e.fixed = sortedFixed(e.Params)
	// Longer prefixes first so "virtiofs3" is not taken for "virtio".
	sort.Slice(e.indexed, func(i, j int) bool {
		a, b := e.indexed[i].Prefix, e.indexed[j].Prefix
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return a < b
	})
	return e, nil
}

func convertParam(name string, rp *rawParam) (*Param, error) {
	p := &Param{
		Name:              name,
		Type:              rawString(rp.Type),
		Optional:          truthy(rp.Optional),
		Description:       rp.Description,
		TypeText:          rp.TypeText,
		FormatDescription: rp.FormatDescription,
		Default:           rp.Default,
		Enum:              rp.Enum,
		MinLength:         rp.MinLength,
		MaxLength:         rp.MaxLength,
		Pattern:           rp.Pattern,
		DefaultKey:        truthy(rp.DefaultKey),
		Alias:             rp.Alias,
		KeyAlias:          rp.KeyAlias,
		Requires:          rawString(rp.Requires),
		InstanceTypes:     rp.InstanceTypes,
	}
	var err error
	if p.Minimum, p.MinimumText, err = rawNumber(rp.Minimum); err != nil {
		return nil, fmt.Errorf("minimum: %w", err)
	}
	if p.Maximum, p.MaximumText, err = rawNumber(rp.Maximum); err != nil {
		return nil, fmt.Errorf("maximum: %w", err)
	}
	if len(rp.Format) > 0 {
		switch rp.Format[0] {
		case '"':
			p.Format = rawString(rp.Format)
		case '{':
			var sub map[string]*rawParam
			if err := json.Unmarshal(rp.Format, &sub); err != nil {
				return nil, fmt.Errorf("format: %w", err)
			}
			p.Props = make(map[string]*Param, len(sub))
			for k, sp := range sub {
				cp, err := convertParam(k, sp)
				if err != nil {
					return nil, fmt.Errorf("format key %s: %w", k, err)
				}
				p.Props[k] = cp
			}
			p.propsFixed = sortedFixed(p.Props)
		}
	}
	if rp.Items != nil {
		it, err := convertParam(name, rp.Items)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		p.Items = it
	}
	if p.Pattern != "" {
		p.re = newLazyRegexp(perlPatternToGo(p.Pattern))
	}
	return p, nil
}

// truthy interprets a Perl-style flag from the schema (1, "1", true).
func truthy(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	switch s {
	case "", "0", `"0"`, `""`, "false", "null":
		return false
	}
	return true
}

func rawString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// rawNumber decodes a limit given as a JSON number or numeric string and
// returns it with the text Perl would print for it.
func rawNumber(raw json.RawMessage) (*float64, string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", nil
	}
	text := string(bytes.TrimSpace(raw))
	if text[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, "", err
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil {
		return nil, "", err
	}
	return &f, perlNumber(f), nil
}

// perlNumber formats a number the way Perl stringifies it (%.15g).
func perlNumber(f float64) string {
	return strconv.FormatFloat(f, 'g', 15, 64)
}

var descIndexRange = lazyre.New(`\(n is 0 to (\d+)[,)]`)

// indexLimit returns the highest index of an indexed parameter. The API
// viewer collapses net0..net31 into "net[n]"; the limits come from the
// MAX_* constants of qemu-server, pve-container and pve-manager.
func indexLimit(prefix, description string) int {
	// All limits below hold for 7.4, 8.4 and 9.1 (USB went to 14 in
	// qemu-server 7.3, LXC networks to 32 in 2020, hostpci to 16 in 2019).
	switch prefix {
	case "net", "ipconfig": // MAX_NETS, MAX_LXC_NETWORKS = 32
		return 31
	case "hostpci":
		return 15
	case "numa":
		return 7
	case "unused", "mp", "dev":
		return 255
	case "usb":
		return 13 // MAX_USB_DEVICES = 14 (machine >= 7.1)
	case "virtiofs":
		return 9
	case "link":
		return 7 // corosync link0..link7
	case "acmedomain":
		return 4 // MAXDOMAINS = 5
	}
	if m := descIndexRange.FindStringSubmatch(description); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return n
		}
	}
	return 31
}
