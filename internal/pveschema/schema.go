// Package pveschema carries the Proxmox VE API schemas of the releases
// that ship (Releases), maps a reported version to one of them, and
// validates request parameters against them the way a real PVE node does
// (pve-common PVE::JSONSchema), with the same error keys and message texts.
package pveschema

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

//go:embed data/*.json.gz
var dataFS embed.FS

// Schema is one parsed PVE API description. It is immutable after Load and
// safe for concurrent use.
type Schema struct {
	version   string
	endpoints []*Endpoint
	root      *pathNode
}

// Endpoint is one method on one API path.
type Endpoint struct {
	Path        string // template, e.g. "/nodes/{node}/qemu/{vmid}/status/start"
	Method      string // GET, POST, PUT, DELETE
	Name        string // handler name, e.g. "vm_start"
	Description string
	Protected   bool
	AllowToken  bool
	Proxyto     string          // parameter naming the node to proxy to, or ""
	Permissions json.RawMessage // the schema's permissions object (may be nil)
	Returns     json.RawMessage // the schema's returns object
	ReturnType  string          // returns.type ("string" for worker tasks)
	// AdditionalProperties reports whether unknown parameters are allowed.
	AdditionalProperties bool
	// Params holds the parameters by schema name; indexed ones appear as
	// "net[n]" (use Param to resolve "net3").
	Params map[string]*Param

	indexed []*Param // the Params that are indexed, sorted by prefix length desc
	fixed   []*Param // the other Params by name, sorted once for Validate
}

// Param describes one parameter, or one key of a property string.
type Param struct {
	Name              string // "vmid", "net[n]", or a property-string key
	Type              string // string|integer|number|boolean|array|object; "" for aliases
	Optional          bool
	Description       string
	TypeText          string
	FormatDescription string
	Default           json.RawMessage
	Enum              []string
	Minimum, Maximum  *float64
	// MinimumText/MaximumText are the limits as PVE prints them in messages.
	MinimumText, MaximumText string
	MinLength, MaxLength     *int
	Pattern                  string // Perl regex from the schema (anchored by the checker)
	// Format is the named format ("pve-node", "pve-vmid-list", "pve-qm-boot"),
	// or "" when there is none or the schema gives the format inline (Props).
	Format string
	// Props holds the keys of an inline property-string format ("net[n]",
	// "scsi[n]"); "cdrom" (named pve-qm-ide) gets the endpoint's ide[n] keys.
	Props map[string]*Param
	// DefaultKey marks the property-string key that may be given without "key=".
	DefaultKey bool
	Alias      string // this key is an alias of another key
	KeyAlias   string // with Alias: the key name itself is stored under KeyAlias (net "virtio=MAC")
	Requires   string // another parameter that must be present when this one is
	Items      *Param // for arrays

	// Indexed parameters ("net[n]"): Prefix "net", indexes 0..MaxIndex.
	Indexed  bool
	Prefix   string
	MaxIndex int

	// InstanceTypes restricts the parameter to some values of a type property (SDN fabrics).
	InstanceTypes []string

	re         *lazyRegexp
	propsFixed []*Param // Props' non-indexed keys by name, sorted once
}

// Version returns the full PVE version of the schema, e.g. "9.1.3".
func (s *Schema) Version() string { return s.version }

// Endpoints returns all endpoints in schema order.
func (s *Schema) Endpoints() []*Endpoint { return append([]*Endpoint(nil), s.endpoints...) }

// Load parses the embedded schema of a shipped release, named as
// FindRelease reads it ("9.1", "9.1.3", "9"). Each call parses anew; keep
// the result (or use a Registry).
func Load(version string) (*Schema, error) {
	rel, ok := FindRelease(version)
	if !ok {
		return nil, fmt.Errorf("pveschema: unknown PVE version %q (have %s)", version, strings.Join(Versions(), ", "))
	}
	file := rel.file
	gz, err := dataFS.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("pveschema: read %s: %w", file, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("pveschema: gunzip %s: %w", file, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("pveschema: gunzip %s: %w", file, err)
	}
	s, err := parseSchema(raw)
	if err != nil {
		return nil, fmt.Errorf("pveschema: parse %s: %w", file, err)
	}
	return s, nil
}

// Registry loads each version once on first use and hands out the shared
// *Schema afterwards. The zero value is ready to use.
type Registry struct {
	mu      sync.Mutex
	schemas map[string]*Schema
}

// Load returns the schema for version, parsing it on first use.
func (r *Registry) Load(version string) (*Schema, error) {
	rel, ok := FindRelease(version)
	if !ok {
		return Load(version) // produces the error
	}
	file := rel.file
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.schemas[file]; s != nil {
		return s, nil
	}
	s, err := Load(version)
	if err != nil {
		return nil, err
	}
	if r.schemas == nil {
		r.schemas = map[string]*Schema{}
	}
	r.schemas[file] = s
	return s, nil
}

// Param resolves a concrete parameter name, including indexed names such as
// "net3" or "scsi12" (within the schema's index limits).
func (e *Endpoint) Param(name string) (*Param, bool) {
	if p, ok := e.Params[name]; ok && !p.Indexed {
		return p, true
	}
	for _, p := range e.indexed {
		if idx, ok := indexOf(name, p.Prefix); ok && idx <= p.MaxIndex {
			return p, true
		}
	}
	return nil, false
}

// ParamNames returns the schema's parameter names, sorted ("net[n]" style for
// indexed ones).
func (e *Endpoint) ParamNames() []string {
	names := make([]string, 0, len(e.Params))
	for n := range e.Params {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PathParams returns the names of the {param} segments of the endpoint path.
func (e *Endpoint) PathParams() []string {
	var out []string
	for _, seg := range strings.Split(e.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// IsAsync reports whether the endpoint answers with a worker task (UPID string).
func (e *Endpoint) IsAsync() bool { return e.ReturnType == "string" }

// indexOf parses name as prefix followed by a canonical decimal index.
func indexOf(name, prefix string) (int, bool) {
	if !strings.HasPrefix(name, prefix) {
		return 0, false
	}
	digits := name[len(prefix):]
	if digits == "" || len(digits) > 4 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
