package config

import (
	"fmt"
	"io"
	"slices"
)

// Var is one environment variable the server reads.
type Var struct {
	Name  string
	Group string // "proxmox", "tools", "http", "ssh", "logging"
	What  string // one line: what it is, the default when there is one
}

// Vars lists every environment variable the server reads, in the order the
// usage prints them; a test checks it against the names this package reads.
func Vars() []Var {
	return []Var{
		{"PVE_CONFIG_FILE", "proxmox", "TOML file of named clusters and per-principal policies (docs/clusters.md); replaces the PROXMOX_* connection variables; reloaded on SIGHUP"},
		{"PROXMOX_HOST", "proxmox", "base URL of a node, e.g. https://pve.example:8006 (Proxmox listens on port 8006)"},
		{"PROXMOX_TOKEN_ID", "proxmox", "API token id USER@REALM!TOKENID, e.g. mcp@pve!mcp"},
		{"PROXMOX_TOKEN_SECRET", "proxmox", "the token's secret (a UUID)"},
		{"PROXMOX_TOKEN_SECRET_FILE", "proxmox", "file holding the token's secret, instead of PROXMOX_TOKEN_SECRET"},
		{"PROXMOX_USERNAME", "proxmox", "user USER@REALM for a password (ticket) login instead of a token"},
		{"PROXMOX_PASSWORD", "proxmox", "the user's password"},
		{"PROXMOX_PASSWORD_FILE", "proxmox", "file holding the password, instead of PROXMOX_PASSWORD"},
		{"PROXMOX_TLS_FINGERPRINT", "proxmox", "SHA-256 fingerprint (AB:CD:...) of the node's certificate to pin, e.g. a self-signed one"},
		{"PROXMOX_CA_FILE", "proxmox", "PEM file of the CA that signed the node's certificate, e.g. a copy of /etc/pve/pve-root-ca.pem"},
		{"PROXMOX_INSECURE_TLS", "proxmox", "true: do not verify the certificate at all (last resort; default false)"},
		{"PROXMOX_REQUEST_TIMEOUT_MS", "proxmox", "timeout of one Proxmox request in ms (default 30000)"},
		{"PVE_READONLY", "tools", "false: register the write tools too (default true: reads only)"},
		{"PVE_DISABLE_DESTRUCTIVE", "tools", "true: leave out the tools that delete or overwrite (default false)"},
		{"PVE_HIDE_UNPERMITTED", "tools", "true: list only the tools the credential's privileges allow, read at start (default false)"},
		{"PVE_TOOLSETS", "tools", "comma-separated toolsets to enable instead of the default ones (see pve_toolsets)"},
		{"PVE_TOOLS", "tools", "comma-separated tool names to enable besides the toolsets"},
		{"PVE_EXCLUDE_TOOLS", "tools", "comma-separated tool names never to register"},
		{"PVE_NODE_ALLOWLIST", "tools", "comma-separated nodes the tools may touch (default every node)"},
		{"PVE_VMID_ALLOWLIST", "tools", "comma-separated guest ids the tools may touch (default every guest)"},
		{"PVE_TASK_TIMEOUT_MS", "tools", "how long a tool waits for a Proxmox task in ms (default 600000, 10 minutes)"},
		{"PVE_ALLOW_HOST_ACCESS", "tools", "true: allow host-level keys (hookscripts, passthrough, bind mounts...) with consent"},
		{"PVE_ALLOW_PRIVATE_DOWNLOADS", "tools", "true: let pve_download_iso fetch from internal addresses"},
		{"PVE_AGENT_EXEC_ALLOWLIST", "tools", "commands the guest agent and pve_lxc_exec may run (default none)"},
		{"PVE_AGENT_FILE_ALLOWLIST", "tools", "paths the guest agent may read or write (default none)"},
		{"PVE_AUDIT_LOG", "tools", "file that records every write, refusal and consent as hash-chained JSON lines; writes are refused when it cannot be written"},
		{"PVE_REQUIRE_PLAN", "tools", "writes that must be rehearsed first (pve_plan, then pve_apply): destructive, all, or none (default)"},
		{"PVE_PROTECTED_TAGS", "tools", "guest tags that forbid every change, as Proxmox's protection flag (default " + DefaultProtectedTag + "; none: the flag only)"},
		{"PVE_MCP_TRANSPORT", "http", "stdio (default) or http, like --transport"},
		{"PVE_MCP_LISTEN", "http", "HTTP listen address, like --listen (default " + DefaultListen + ")"},
		{"PVE_MCP_HTTP_TOKEN", "http", "bearer token clients must send over HTTP"},
		{"PVE_MCP_HTTP_TOKEN_FILE", "http", "file of bearer tokens (TOKEN or NAME TOKEN per line), instead of PVE_MCP_HTTP_TOKEN"},
		{"PVE_MCP_HTTP_OAUTH_ISSUER", "http", "OAuth issuer URL (https): accept its JWT access tokens, besides any static token"},
		{"PVE_MCP_HTTP_OAUTH_AUDIENCE", "http", "the aud OAuth tokens must carry, typically the MCP endpoint's URL (required with the issuer)"},
		{"PVE_MCP_HTTP_OAUTH_JWKS_URL", "http", "the issuer's key set URL (default: its jwks_uri, from the issuer's metadata)"},
		{"PVE_MCP_HTTP_OAUTH_CLOCK_SKEW", "http", "tolerance on a token's exp, nbf and iat (default " + DefaultOAuthClockSkew.String() + ")"},
		{"PVE_MCP_HTTP_OAUTH_GROUPS_CLAIM", "http", "claim holding the subject's groups (default " + DefaultOAuthGroupsClaim + ")"},
		{"PVE_MCP_HTTP_OAUTH_SCOPES_SUPPORTED", "http", "scopes advertised in the resource metadata (default pve:read pve:write pve:destructive)"},
		{"PVE_MCP_HTTP_RESOURCE_URL", "http", "public URL of the MCP endpoint, the resource in the OAuth metadata (default from the Host header)"},
		{"PVE_MCP_STATELESS", "http", "true: no sessions, like --stateless"},
		{"PVE_MCP_TLS_CERT", "http", "certificate file to serve HTTPS, like --tls-cert"},
		{"PVE_MCP_TLS_KEY", "http", "its key file, like --tls-key"},
		{"PVE_MCP_ALLOWED_ORIGINS", "http", "browser origins allowed to call the server"},
		{"PVE_MCP_ALLOWED_HOSTS", "http", "Host header values accepted, besides the listen address"},
		{"PVE_MCP_SESSION_TIMEOUT", "http", "idle time after which a session ends (default " + DefaultSessionTimeout.String() + ")"},
		{"PVE_MCP_RATE_LIMIT", "http", fmt.Sprintf("requests per minute per token, 0 for no limit (default %d)", DefaultRateLimit)},
		{"PVE_MCP_MAX_SESSIONS", "http", fmt.Sprintf("concurrent sessions (default %d)", DefaultMaxSessions)},
		{"PVE_MCP_MAX_SESSIONS_PER_TOKEN", "http", fmt.Sprintf("sessions per token (default %d)", DefaultMaxSessionsPerToken)},
		{"PVE_MCP_MAX_INFLIGHT_PER_SESSION", "http", fmt.Sprintf("requests in flight per session (default %d)", DefaultMaxInflightPerSession)},
		{"PVE_SSH_KEY_FILE", "ssh", "private key to reach the nodes over SSH for pve_lxc_exec (default off)"},
		{"PVE_SSH_KEY_PASSPHRASE_FILE", "ssh", "file holding that key's passphrase"},
		{"PVE_SSH_KNOWN_HOSTS", "ssh", "known_hosts file with the nodes' host keys"},
		{"PVE_SSH_USER", "ssh", "SSH user (default root)"},
		{"PVE_SSH_PORT", "ssh", "SSH port (default 22)"},
		{"PVE_SSH_HOSTS", "ssh", "node=address pairs when a node's name does not resolve"},
		{"LOG_LEVEL", "logging", "debug, info (default), warn or error; logs go to stderr"},
		{"CREDENTIALS_DIRECTORY", "logging", "set by systemd: secret files in it may carry its group ACL"},
	}
}

// WriteVars prints the variables of the given groups (all when none), one
// per line, for a command's usage.
func WriteVars(w io.Writer, groups ...string) {
	vars := Vars()
	width := 0
	for _, v := range vars {
		width = max(width, len(v.Name))
	}
	for _, v := range vars {
		if len(groups) > 0 && !slices.Contains(groups, v.Group) {
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, v.Name, v.What)
	}
}
