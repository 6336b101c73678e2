package config

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Clusters is what PVE_CONFIG_FILE names: clusters served by one process,
// and a policy per principal. Each cluster's Config is complete (host,
// credential, TLS, allowlists, tool choices); the process-wide settings
// (timeouts, audit log, HTTP) come from the environment as always.
type Clusters struct {
	Path     string
	Default  string     // the cluster a call without "cluster" goes to
	List     []*Cluster // in file order
	Policies []Policy   // in file order: the first that matches a principal applies
}

// Cluster is one named cluster of the file.
type Cluster struct {
	Name string
	*Config
}

// Policy bounds what one principal may do, on top of the server's and the
// cluster's own settings: the most restrictive of them applies.
type Policy struct {
	// Kind is "token" (a PVE_MCP_HTTP_TOKEN_FILE name), "subject" (an
	// OAuth sub), "group" (an OAuth group) or "default" (anyone no other
	// policy matches); Value names it.
	Kind, Value        string
	Clusters           []string // empty: every cluster
	Toolsets           []string // empty: no narrowing
	ReadOnly           bool
	DisableDestructive bool
	NodeAllowlist      []string
	VMIDAllowlist      []int
}

// Name is how logs and errors name the policy, e.g. "group:admins".
func (p Policy) Name() string {
	if p.Kind == "default" {
		return "default"
	}
	return p.Kind + ":" + p.Value
}

// Cluster returns the named cluster, or nil.
func (cs *Clusters) Cluster(name string) *Cluster {
	for _, c := range cs.List {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Names lists the clusters in file order.
func (cs *Clusters) Names() []string {
	out := make([]string, len(cs.List))
	for i, c := range cs.List {
		out[i] = c.Name
	}
	return out
}

var clusterNameRe = lazyre.New(`^[a-z][a-z0-9_-]{0,31}$`)

type fileDoc struct {
	DefaultCluster string                `toml:"default_cluster"`
	Clusters       map[string]clusterDoc `toml:"clusters"`
	Policy         []policyDoc           `toml:"policy"`
}

type clusterDoc struct {
	Host               string   `toml:"host"`
	TokenID            string   `toml:"token_id"`
	TokenSecret        string   `toml:"token_secret"`
	TokenSecretFile    string   `toml:"token_secret_file"`
	TokenSecretEnv     string   `toml:"token_secret_env"`
	Username           string   `toml:"username"`
	Password           string   `toml:"password"`
	PasswordFile       string   `toml:"password_file"`
	PasswordEnv        string   `toml:"password_env"`
	CAFile             string   `toml:"ca_file"`
	Fingerprint        string   `toml:"tls_fingerprint"`
	InsecureTLS        *bool    `toml:"insecure_tls"`
	ReadOnly           *bool    `toml:"read_only"`
	DisableDestructive *bool    `toml:"disable_destructive"`
	AllowHostAccess    *bool    `toml:"allow_host_access"`
	NodeAllowlist      []string `toml:"node_allowlist"`
	VMIDAllowlist      []int    `toml:"vmid_allowlist"`
	Toolsets           []string `toml:"toolsets"`
	Tools              []string `toml:"tools"`
	ExcludeTools       []string `toml:"exclude_tools"`
	ProtectedTags      []string `toml:"protected_tags"`
}

type policyDoc struct {
	Token              string   `toml:"token"`
	Subject            string   `toml:"subject"`
	Group              string   `toml:"group"`
	Default            bool     `toml:"default"`
	Clusters           []string `toml:"clusters"`
	Toolsets           []string `toml:"toolsets"`
	ReadOnly           bool     `toml:"read_only"`
	DisableDestructive bool     `toml:"disable_destructive"`
	NodeAllowlist      []string `toml:"node_allowlist"`
	VMIDAllowlist      []int    `toml:"vmid_allowlist"`
}

// connectionVars are a cluster's own: a cluster of the file never takes
// them from the environment, so no credential reaches another host.
var connectionVars = []string{"PROXMOX_HOST", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET", "PROXMOX_TOKEN_SECRET_FILE",
	"PROXMOX_USERNAME", "PROXMOX_PASSWORD", "PROXMOX_PASSWORD_FILE", "PROXMOX_CA_FILE", "PROXMOX_TLS_FINGERPRINT",
	"PROXMOX_INSECURE_TLS"}

// LoadFile reads and validates the configuration file at path. Every
// problem is listed, each naming the key (clusters.NAME.KEY) and what
// would be accepted. Settings a cluster leaves out come from the
// environment, except the connection's (host, credential, TLS).
func LoadFile(path string, getenv Getenv) (*Clusters, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Problems: []string{fmt.Sprintf("PVE_CONFIG_FILE: cannot read the file: %v", pathless(err))}}
	}
	var doc fileDoc
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return nil, &Error{Problems: []string{fmt.Sprintf("PVE_CONFIG_FILE %s: %v", path, err)}}
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, k := range md.Undecoded() {
		fail("%s: unknown key %q (see docs/clusters.md for the keys a file takes)", path, k.String())
	}
	cs := &Clusters{Path: path}
	for _, key := range md.Keys() {
		if len(key) != 2 || key[0] != "clusters" {
			continue // a table's keys come after it, in file order
		}
		name := key[1]
		if !clusterNameRe.MatchString(name) || name == "all" {
			fail("clusters.%s: a cluster name is lower-case letters, digits, '-' and '_', starting with a letter, at most 32, and not \"all\"", name)
			continue
		}
		cfg, errs := doc.Clusters[name].load(name, getenv)
		problems = append(problems, errs...)
		if cfg != nil {
			cs.List = append(cs.List, &Cluster{Name: name, Config: cfg})
		}
	}
	if len(doc.Clusters) == 0 {
		fail("%s: no [clusters.NAME] table; each cluster needs at least host and a credential", path)
	}
	cs.Default = doc.DefaultCluster
	switch {
	case cs.Default == "" && len(cs.List) > 0:
		cs.Default = cs.List[0].Name
	case cs.Default != "" && doc.Clusters != nil:
		if _, ok := doc.Clusters[cs.Default]; !ok {
			fail("default_cluster: %q is not a cluster of the file (%s)", cs.Default, strings.Join(sortedKeys(doc.Clusters), ", "))
		}
	}
	for i, pd := range doc.Policy {
		p, errs := pd.load(i, doc.Clusters)
		problems = append(problems, errs...)
		cs.Policies = append(cs.Policies, p)
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return cs, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// load validates one cluster through Load itself, with the file's values
// in place of the variables they stand for.
func (d clusterDoc) load(name string, getenv Getenv) (*Config, []string) {
	at := "clusters." + name + "."
	var problems []string
	set := map[string]string{}
	str := func(key, v string) {
		if v != "" {
			set[key] = v
		}
	}
	flag := func(key string, v *bool) {
		if v != nil {
			set[key] = strconv.FormatBool(*v)
		}
	}
	list := func(key string, v []string) {
		switch {
		case v == nil:
		case len(v) > 0:
			set[key] = strings.Join(v, ",")
		case key == "PVE_PROTECTED_TAGS":
			set[key] = "none"
		default:
			problems = append(problems, fmt.Sprintf("%s%s: an empty list; leave the key out for the default", at, fileKeys[key]))
		}
	}
	if d.TokenSecret != "" || d.Password != "" {
		problems = append(problems, at+"token_secret / password: secrets are not read from the file; name a file (token_secret_file, password_file) or a variable (token_secret_env, password_env)")
	}
	fromEnv := func(fileKey, envName, key string) {
		if envName == "" {
			return
		}
		v, ok := getenv(envName)
		if !ok || strings.TrimSpace(v) == "" {
			problems = append(problems, fmt.Sprintf("%s%s: the variable %s is not set", at, fileKey, envName))
			return
		}
		set[key] = v
	}
	str("PROXMOX_HOST", d.Host)
	str("PROXMOX_TOKEN_ID", d.TokenID)
	str("PROXMOX_TOKEN_SECRET_FILE", d.TokenSecretFile)
	fromEnv("token_secret_env", d.TokenSecretEnv, "PROXMOX_TOKEN_SECRET")
	str("PROXMOX_USERNAME", d.Username)
	str("PROXMOX_PASSWORD_FILE", d.PasswordFile)
	fromEnv("password_env", d.PasswordEnv, "PROXMOX_PASSWORD")
	str("PROXMOX_CA_FILE", d.CAFile)
	str("PROXMOX_TLS_FINGERPRINT", d.Fingerprint)
	flag("PROXMOX_INSECURE_TLS", d.InsecureTLS)
	flag("PVE_READONLY", d.ReadOnly)
	flag("PVE_DISABLE_DESTRUCTIVE", d.DisableDestructive)
	flag("PVE_ALLOW_HOST_ACCESS", d.AllowHostAccess)
	list("PVE_NODE_ALLOWLIST", d.NodeAllowlist)
	if d.VMIDAllowlist != nil {
		if len(d.VMIDAllowlist) == 0 {
			problems = append(problems, at+"vmid_allowlist: an empty list; leave the key out for every guest")
		}
		set["PVE_VMID_ALLOWLIST"] = joinIDs(d.VMIDAllowlist)
	}
	list("PVE_TOOLSETS", d.Toolsets)
	list("PVE_TOOLS", d.Tools)
	list("PVE_EXCLUDE_TOOLS", d.ExcludeTools)
	list("PVE_PROTECTED_TAGS", d.ProtectedTags)
	cfg, err := Load(clusterEnv(getenv, set))
	if err != nil {
		if ce, ok := err.(*Error); ok {
			for _, p := range ce.Problems {
				problems = append(problems, at+fileKeyOf(p))
			}
		} else {
			problems = append(problems, at+err.Error())
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return cfg, nil
}

// clusterEnv reads the file's values first; the connection's variables
// are never taken from the process environment, the rest default to it.
// PVE_CONFIG_FILE itself is hidden so Load does not recurse.
func clusterEnv(getenv Getenv, set map[string]string) Getenv {
	return func(k string) (string, bool) {
		if v, ok := set[k]; ok {
			return v, true
		}
		if k == "PVE_CONFIG_FILE" || slices.Contains(connectionVars, k) {
			return "", false
		}
		return getenv(k)
	}
}

// fileKeys names the file's key for each variable a problem starts with.
var fileKeys = map[string]string{
	"PROXMOX_HOST": "host", "PROXMOX_TOKEN_ID": "token_id", "PROXMOX_TOKEN_SECRET_FILE": "token_secret_file",
	"PROXMOX_TOKEN_SECRET": "token_secret_env", "PROXMOX_USERNAME": "username", "PROXMOX_PASSWORD_FILE": "password_file",
	"PROXMOX_PASSWORD": "password_env", "PROXMOX_CA_FILE": "ca_file", "PROXMOX_TLS_FINGERPRINT": "tls_fingerprint",
	"PROXMOX_INSECURE_TLS": "insecure_tls", "PVE_READONLY": "read_only", "PVE_DISABLE_DESTRUCTIVE": "disable_destructive",
	"PVE_ALLOW_HOST_ACCESS": "allow_host_access", "PVE_NODE_ALLOWLIST": "node_allowlist", "PVE_VMID_ALLOWLIST": "vmid_allowlist",
	"PVE_TOOLSETS": "toolsets", "PVE_TOOLS": "tools", "PVE_EXCLUDE_TOOLS": "exclude_tools", "PVE_PROTECTED_TAGS": "protected_tags",
}

// fileKeyOf puts the file's key name in front of a problem Load reported
// for a variable (the variable's name stays in the text for reference).
func fileKeyOf(problem string) string {
	v, rest, ok := strings.Cut(problem, ":")
	if k, known := fileKeys[v]; ok && known {
		return k + " (" + v + "):" + rest
	}
	return problem
}

func joinIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}

// load validates one [[policy]] table: exactly one of token, subject,
// group or default, and clusters the file has.
func (d policyDoc) load(i int, clusters map[string]clusterDoc) (Policy, []string) {
	at := fmt.Sprintf("policy[%d]", i)
	p := Policy{Clusters: d.Clusters, Toolsets: d.Toolsets, ReadOnly: d.ReadOnly,
		DisableDestructive: d.DisableDestructive, NodeAllowlist: d.NodeAllowlist, VMIDAllowlist: d.VMIDAllowlist}
	var problems []string
	n := 0
	for _, m := range []struct{ kind, v string }{{"token", d.Token}, {"subject", d.Subject}, {"group", d.Group}} {
		if m.v != "" {
			p.Kind, p.Value = m.kind, m.v
			n++
		}
	}
	if d.Default {
		p.Kind = "default"
		n++
	}
	if n != 1 {
		problems = append(problems, at+": set exactly one of token = \"NAME\", subject = \"SUB\", group = \"GROUP\" or default = true")
	}
	for _, c := range d.Clusters {
		if _, ok := clusters[c]; !ok {
			problems = append(problems, fmt.Sprintf("%s.clusters: %q is not a cluster of the file (%s)", at, c, strings.Join(sortedKeys(clusters), ", ")))
		}
	}
	if d.Clusters != nil && len(d.Clusters) == 0 {
		problems = append(problems, at+".clusters: an empty list; leave the key out for every cluster")
	}
	chk := &parser{}
	if len(d.NodeAllowlist) > 0 {
		chk.getenv = func(k string) (string, bool) { return strings.Join(d.NodeAllowlist, ","), k == "PVE_NODE_ALLOWLIST" }
		chk.nodes("PVE_NODE_ALLOWLIST")
	}
	if len(d.VMIDAllowlist) > 0 {
		chk.getenv = func(k string) (string, bool) { return joinIDs(d.VMIDAllowlist), k == "PVE_VMID_ALLOWLIST" }
		chk.vmids("PVE_VMID_ALLOWLIST")
	}
	for _, t := range d.Toolsets {
		if !nameRe.MatchString(t) {
			chk.fail("toolsets: %q is not a toolset name", t)
		}
	}
	for _, e := range chk.problems {
		problems = append(problems, at+"."+fileKeyOf(e))
	}
	return p, problems
}

// loadClusters is Load with PVE_CONFIG_FILE: the default cluster's
// configuration, carrying the file's clusters and policies.
func loadClusters(path string, getenv Getenv) (*Config, error) {
	cs, err := LoadFile(path, getenv)
	if err != nil {
		return nil, err
	}
	def := *cs.Cluster(cs.Default).Config
	def.Clusters = cs
	return &def, nil
}
