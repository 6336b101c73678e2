// Package config reads the server's settings from the environment and checks
// them all at once, so a misconfigured start-up reports every problem together.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/execallow"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Config is the validated configuration of one server process.
type Config struct {
	Host           *url.URL // base URL, e.g. https://pve.example:8006, without /api2/json
	Auth                    // token or password login, CA file, fingerprint
	InsecureTLS    bool
	ReadOnly       bool
	NodeAllowlist  []string // empty: every node
	VMIDAllowlist  []int    // empty: every guest
	RequestTimeout time.Duration
	TaskTimeout    time.Duration
	LogLevel       slog.Level
	// AllowPrivateDownloads lets pve_download_iso fetch from internal addresses.
	AllowPrivateDownloads bool
	// AllowHostAccess lets host-level keys (args, hookscript, device
	// passthrough, bind mounts, cluster and node firewall writes...) through
	// the request guard, each with consent.
	AllowHostAccess bool
	// Tool selection; names are checked against the inventory by the server.
	Toolsets           []string // empty: the default toolsets
	Tools              []string // enable these by name
	ExcludeTools       []string // never register these
	DisableDestructive bool
	// HideUnpermitted lists only the tools the credential's privileges
	// allow, as read at start-up.
	HideUnpermitted bool
	// ProtectedTags (PVE_PROTECTED_TAGS) mark guests no tool may change,
	// as Proxmox's protection flag does; lower-case.
	ProtectedTags []string
	// AuditLog (PVE_AUDIT_LOG) is the file every write, refusal and
	// consent is appended to; "" keeps no log.
	AuditLog string
	// RequirePlan (PVE_REQUIRE_PLAN) sends writes through pve_plan and
	// pve_apply: "destructive", "all", or "" for none.
	RequirePlan string
	// AgentCommands and AgentFiles are what may run inside guests and what
	// the guest agent may read or write (see internal/execallow).
	AgentCommands execallow.Commands
	AgentFiles    execallow.Paths
	// SSH reaches the nodes for pve_lxc_exec; nil: not configured (off).
	SSH *SSH
	// Clusters is PVE_CONFIG_FILE's clusters and policies; nil without a
	// file. The Config holding it is its default cluster's.
	Clusters *Clusters
}

// Getenv looks a variable up; os.LookupEnv fits.
type Getenv func(key string) (string, bool)

// Load reads and validates the configuration. The error lists every problem,
// one per line, each naming the variable and what would be accepted.
func Load(getenv Getenv) (*Config, error) {
	if path, ok := getenv("PVE_CONFIG_FILE"); ok && strings.TrimSpace(path) != "" {
		return loadClusters(strings.TrimSpace(path), getenv)
	}
	p := &parser{getenv: getenv}
	c := &Config{
		ReadOnly:              p.boolean("PVE_READONLY", true),
		InsecureTLS:           p.boolean("PROXMOX_INSECURE_TLS", false),
		RequestTimeout:        p.millis("PROXMOX_REQUEST_TIMEOUT_MS", 30000),
		TaskTimeout:           p.millis("PVE_TASK_TIMEOUT_MS", 600000),
		LogLevel:              p.level("LOG_LEVEL"),
		NodeAllowlist:         p.nodes("PVE_NODE_ALLOWLIST"),
		VMIDAllowlist:         p.vmids("PVE_VMID_ALLOWLIST"),
		AllowPrivateDownloads: p.boolean("PVE_ALLOW_PRIVATE_DOWNLOADS", false),
		AllowHostAccess:       p.boolean("PVE_ALLOW_HOST_ACCESS", false),
		Toolsets:              p.names("PVE_TOOLSETS"),
		Tools:                 p.names("PVE_TOOLS"),
		ExcludeTools:          p.names("PVE_EXCLUDE_TOOLS"),
		DisableDestructive:    p.boolean("PVE_DISABLE_DESTRUCTIVE", false),
		HideUnpermitted:       p.boolean("PVE_HIDE_UNPERMITTED", false),
	}
	c.AgentCommands = p.commands("PVE_AGENT_EXEC_ALLOWLIST")
	c.AgentFiles = p.paths("PVE_AGENT_FILE_ALLOWLIST")
	c.ProtectedTags = p.protectedTags("PVE_PROTECTED_TAGS")
	c.AuditLog, _ = p.get("PVE_AUDIT_LOG")
	c.RequirePlan = p.requirePlan("PVE_REQUIRE_PLAN")
	c.SSH = p.ssh()
	c.Host = p.host("PROXMOX_HOST")
	auth, authProblems := LoadAuth(getenv)
	p.problems = append(p.problems, authProblems...)
	c.Auth = *auth
	if len(p.problems) > 0 {
		return nil, &Error{Problems: p.problems}
	}
	return c, nil
}

// Error lists every configuration problem found.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// IsConfigError reports whether err came from Load.
func IsConfigError(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}

type parser struct {
	getenv   Getenv
	problems []string
}

func (p *parser) get(key string) (string, bool) {
	v, ok := p.getenv(key)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (p *parser) fail(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *parser) boolean(key string, def bool) bool {
	v, ok := p.get(key)
	if !ok {
		return def
	}
	// The words Proxmox reads as booleans, so a value means the same here.
	if b, ok := pveschema.ParseBool(v); ok {
		return b
	}
	p.fail("%s: %q is not a boolean (true or false)", key, v)
	return def
}

func (p *parser) millis(key string, def int) time.Duration {
	v, ok := p.get(key)
	if !ok {
		return time.Duration(def) * time.Millisecond
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 24*3600*1000 {
		p.fail("%s: %q is not a duration in milliseconds (1-86400000)", key, v)
		return time.Duration(def) * time.Millisecond
	}
	return time.Duration(n) * time.Millisecond
}

func (p *parser) level(key string) slog.Level {
	v, ok := p.get(key)
	if !ok {
		return slog.LevelInfo
	}
	switch strings.ToLower(v) {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	p.fail("%s: %q is not a log level (debug, info, warn or error)", key, v)
	return slog.LevelInfo
}

func (p *parser) nodes(key string) []string {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	var out []string
	bad := false
	for _, n := range splitList(v) {
		if !pveid.ValidNode(n) {
			p.fail("%s: %q is not a node name (letters, digits and inner hyphens, at most %d)", key, n, pveid.MaxNodeLen)
			bad = true
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 && !bad {
		p.fail("%s: no node names in %q (a comma-separated list, e.g. pve1,pve2)", key, v)
	}
	return out
}

func (p *parser) vmids(key string) []int {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	var out []int
	bad := false
	for _, s := range splitList(v) {
		n, err := strconv.Atoi(s)
		if err != nil || !pveid.ValidVMID(n) {
			p.fail("%s: %q is not a guest id (%d-%d)", key, s, pveid.MinVMID, pveid.MaxVMID)
			bad = true
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 && !bad {
		p.fail("%s: no guest ids in %q (a comma-separated list, e.g. 100,101)", key, v)
	}
	return out
}

var nameRe = lazyre.New(`^[a-z][a-z0-9_]*$`)

// names reads a comma-separated list of tool or toolset names.
func (p *parser) names(key string) []string {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	var out []string
	for _, n := range splitList(v) {
		if !nameRe.MatchString(n) {
			p.fail("%s: %q is not a tool or toolset name (lower-case letters, digits, '_')", key, n)
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// host reads the Proxmox base URL. A pasted URL may carry a password, so
// problems show only scheme://host:port, and nothing when that is unsure.
func (p *parser) host(key string) *url.URL {
	v, ok := p.get(key)
	if !ok {
		p.fail("%s: required (the base URL of a Proxmox node, e.g. https://pve.example:8006)", key)
		return nil
	}
	u, err := url.Parse(strings.TrimRight(v, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		p.fail("%s: is not a URL like https://pve.example:8006%s (the value is not shown, as it may hold a password)", key, urlHints(v))
		return nil
	}
	shown := originOf(u)
	var removed []string
	if u.User != nil {
		removed = append(removed, "userinfo")
	}
	if u.RawQuery != "" || u.ForceQuery {
		removed = append(removed, "query")
	}
	if u.Fragment != "" {
		removed = append(removed, "fragment")
	}
	if len(removed) > 0 {
		login := ""
		if u.User != nil {
			login = "; log in with PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET, or PROXMOX_USERNAME and PROXMOX_PASSWORD, never a password in the URL"
		}
		p.fail("%s: %s (%s removed) must hold only scheme, host and port%s", key, shown, strings.Join(removed, ", "), login)
		return nil
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/api2/json")
	if u.Path != "" {
		p.fail("%s: %s has a path after it (not shown); give only scheme, host and port (the server adds /api2/json)", key, shown)
		return nil
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		p.fail("%s: %s uses plain http; only https is accepted except for a loopback host", key, shown)
		return nil
	}
	return u
}

// originOf quotes scheme://host:port of u, or says "the URL" when its host
// may be part of a password: a password holding '/', '?' or '#' ends the
// host early and leaves its '@' further on.
func originOf(u *url.URL) string {
	if strings.Contains(u.EscapedPath()+u.RawQuery+u.EscapedFragment(), "@") {
		return "the URL"
	}
	return strconv.Quote(u.Scheme + "://" + u.Host)
}

// urlHints says what is wrong with a URL that does not parse, without any of it.
func urlHints(v string) string {
	var hints []string
	if !strings.Contains(v, "://") {
		hints = append(hints, "it has no https:// in front")
	}
	if strings.Contains(v, "@") {
		hints = append(hints, "it seems to hold a user or password (user:password@), which is not accepted")
	}
	if strings.ContainsFunc(v, unicode.IsSpace) {
		hints = append(hints, "it contains spaces")
	}
	if strings.ContainsAny(v, "\"'") {
		hints = append(hints, "it contains quotes")
	}
	if len(hints) == 0 {
		return ""
	}
	return ": " + strings.Join(hints, "; ")
}

func (p *parser) tokenID(key string) string {
	v, ok := p.get(key)
	if !ok {
		p.fail("%s: required (an API token id USER@REALM!TOKENID, e.g. mcp@pve!mcp)", key)
		return ""
	}
	if !pveid.ValidTokenID(v) || hasHeaderPrefix(v) {
		p.fail("%s: %s", key, describeID(v, tokenIDPrefixRe, "an API token id (USER@REALM!TOKENID, e.g. mcp@pve!mcp)", "PROXMOX_TOKEN_SECRET"))
	}
	return v
}

func (p *parser) secret(key string) string {
	v, ok := p.get(key)
	if !ok {
		p.fail("%s: required (the token's secret, a UUID shown once when the token was created)", key)
		return ""
	}
	// The value itself is never echoed back.
	if strings.ContainsAny(v, " \t\r\n;,") {
		p.fail("%s: contains whitespace or separators; paste the secret exactly as Proxmox showed it", key)
	}
	return v
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (p *parser) commands(key string) execallow.Commands {
	v, _ := p.get(key)
	l, err := execallow.ParseCommands(v)
	if err != nil {
		p.fail("%s: %v", key, err)
	}
	return l
}

func (p *parser) paths(key string) execallow.Paths {
	v, _ := p.get(key)
	l, err := execallow.ParsePaths(v)
	if err != nil {
		p.fail("%s: %v", key, err)
	}
	return l
}
