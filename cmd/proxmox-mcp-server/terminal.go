package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// wantsHTTP tells whether the HTTP transport was asked for, by flag or
// environment, whether or not the rest of the configuration is valid.
func wantsHTTP(fs *flag.FlagSet, getenv config.Getenv) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "transport" })
	if set {
		return strings.EqualFold(fs.Lookup("transport").Value.String(), config.TransportHTTP)
	}
	v, _ := getenv("PVE_MCP_TRANSPORT")
	return strings.EqualFold(strings.TrimSpace(v), config.TransportHTTP)
}

// explainTerminal is what the stdio server says when started at a terminal:
// an MCP client, not a person, talks to it over stdin. loadErr is the
// configuration's problems, if any; it is returned so the exit status says so.
func explainTerminal(w io.Writer, loadErr error) error {
	fmt.Fprint(w, `proxmox-mcp-server: an MCP (Model Context Protocol) server for Proxmox VE.
It speaks JSON-RPC on stdin and stdout to an MCP client (Claude Code, Claude Desktop,
Cursor, Codex...), which starts it; typing at it is of no use, so it exits.

To try it:
  proxmox-mcp-server demo --tour    watch a scripted session against a simulated cluster
  proxmox-mcp-server demo           serve the simulated cluster to an MCP client
  proxmox-mcp-server doctor         check PROXMOX_HOST, the certificate, the login and the privileges
  proxmox-mcp-server --help         commands and every environment variable

Then add it to a client, e.g.:
  claude mcp add proxmox --env PROXMOX_HOST=https://pve.example:8006 \
    --env PROXMOX_TOKEN_ID='mcp@pve!mcp' --env PROXMOX_TOKEN_SECRET_FILE=/path/to/secret \
    -- proxmox-mcp-server
`)
	if loadErr != nil {
		fmt.Fprintln(w)
		return loadErr
	}
	fmt.Fprintln(w, "\nThe configuration in this environment is valid.")
	return nil
}
