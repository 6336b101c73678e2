package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// errChainBroken makes `audit verify` exit 1 after its report.
var errChainBroken = errors.New("audit: the chain is broken")

// runAudit is `proxmox-mcp-server audit verify [FILE]`.
func runAudit(args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: proxmox-mcp-server audit verify [FILE]\n\n"+
			"Checks the audit log's hash chain (FILE, else PVE_AUDIT_LOG) line by line and says\n"+
			"where it breaks. Exit status 0 only when every line holds.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || fs.Arg(0) != "verify" || fs.NArg() > 2 {
		fs.Usage()
		return errors.New("audit: want `audit verify [FILE]`")
	}
	path := fs.Arg(1)
	if path == "" {
		path, _ = getenv("PVE_AUDIT_LOG")
	}
	if path == "" {
		return errors.New("audit verify: give the log's path, or set PVE_AUDIT_LOG")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	defer f.Close()
	rep, err := audit.Verify(f)
	if err != nil {
		fmt.Fprintf(stdout, "%s: BROKEN at %v\n%d entries before it hold.\n", path, err, rep.Entries)
		return errChainBroken
	}
	if rep.Entries == 0 {
		fmt.Fprintf(stdout, "%s: empty\n", path)
		return nil
	}
	fmt.Fprintf(stdout, "%s: %d entries, the chain holds; last hash %s\n"+
		"(a chain cannot show lines cut from its end: keep the last hash elsewhere to compare)\n", path, rep.Entries, rep.Last)
	return nil
}
