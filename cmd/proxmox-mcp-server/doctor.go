package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/doctor"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// errNotReady makes doctor exit 1 after its report.
var errNotReady = errors.New("doctor: not ready")

// runDoctor is `proxmox-mcp-server doctor [--json]`.
func runDoctor(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: proxmox-mcp-server doctor [--json]\n\n"+
			"Checks the configuration (the same environment variables as the server), DNS, TCP, TLS,\n"+
			"authentication, the Proxmox version and quorum, and the privileges every enabled tool needs;\n"+
			"prints what to fix. Exit status 0 only when everything the enabled tools need is there.")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "\nenvironment (as the server reads it):")
		config.WriteVars(fs.Output(), "proxmox", "tools")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := doctor.Run(ctx, doctor.Options{Getenv: getenv})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("doctor: %w", err)
		}
	} else {
		doctor.Text(stdout, r)
	}
	if !r.OK {
		return errNotReady
	}
	return nil
}

// runPrivileges is `proxmox-mcp-server privileges`: the least-privilege
// roles for a selection of tools, as pveum commands.
func runPrivileges(args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("privileges", flag.ContinueOnError)
	fs.SetOutput(stderr)
	toolsets := fs.String("toolsets", "", "comma-separated toolsets (default: PVE_TOOLSETS, else the default ones)")
	names := fs.String("tools", "", "comma-separated tools, added to the toolsets (default: PVE_TOOLS)")
	writes := fs.Bool("writes", false, "include the write tools (default: as PVE_READONLY says; read-only when unset)")
	authid := fs.String("token", "", "the token (user@realm!name) or user to grant to (default: PROXMOX_TOKEN_ID or PROXMOX_USERNAME)")
	asJSON := fs.Bool("json", false, "print the roles as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: proxmox-mcp-server privileges [--toolsets a,b] [--tools x,y] [--writes] [--token ID] [--json]\n\n"+
			"Prints the least-privilege roles for the selected tools, one per path, as pveum commands.")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "\nenvironment (read when the flags are not given):")
		config.WriteVars(fs.Output(), "tools")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	sel := tools.Selection{ReadOnly: !*writes}
	if v, ok := getenv("PVE_READONLY"); ok && !*writes {
		sel.ReadOnly = !strings.EqualFold(strings.TrimSpace(v), "false")
	}
	sel.Toolsets = splitNames(firstSet(*toolsets, getenv, "PVE_TOOLSETS"))
	sel.Tools = splitNames(firstSet(*names, getenv, "PVE_TOOLS"))
	selected, err := tools.SelectedNames(sel)
	if err != nil {
		return err
	}
	who := *authid
	if who == "" {
		who = firstSet("", getenv, "PROXMOX_TOKEN_ID")
	}
	if who == "" {
		who = firstSet("", getenv, "PROXMOX_USERNAME")
	}
	if who == "" {
		who = "mcp@pve!mcp"
	}
	grants := tools.Grants(selected)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"authid": who, "tools": selected, "grants": grants})
	}
	fmt.Fprintf(stdout, "# least privileges for %d tools (%s), granted to %s\n", len(selected), selectionText(sel), who)
	for _, l := range tools.PveumLines(grants, who) {
		fmt.Fprintln(stdout, l)
	}
	return nil
}

func selectionText(sel tools.Selection) string {
	parts := []string{"read-only"}
	if !sel.ReadOnly {
		parts[0] = "with writes"
	}
	if len(sel.Toolsets) > 0 {
		parts = append(parts, "toolsets "+strings.Join(sel.Toolsets, ","))
	}
	if len(sel.Tools) > 0 {
		parts = append(parts, "tools "+strings.Join(sel.Tools, ","))
	}
	return strings.Join(parts, ", ")
}

func firstSet(flagValue string, getenv config.Getenv, env string) string {
	if flagValue != "" {
		return flagValue
	}
	v, _ := getenv(env)
	return strings.TrimSpace(v)
}

func splitNames(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
