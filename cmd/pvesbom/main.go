// Command pvesbom writes the CycloneDX SBOM of a built proxmox-mcp-server
// binary (internal/sbom). The release runs it for each binary:
//
//	pvesbom -version 1.2.3 -time 2026-12-03T08:00:00Z -o out.cdx.json dist/.../proxmox-mcp-server
package main

import (
	"bytes"
	"debug/buildinfo"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/sbom"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pvesbom:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pvesbom", flag.ContinueOnError)
	version := fs.String("version", "", "the release's version (required)")
	when := fs.String("time", "", "the document's timestamp, RFC 3339 (the commit's time; required)")
	out := fs.String("o", "-", "output file, - for stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want one binary, got %d arguments", fs.NArg())
	}
	t, err := time.Parse(time.RFC3339, *when)
	if err != nil {
		return fmt.Errorf("-time %q: want RFC 3339, such as 2026-12-03T08:00:00Z", *when)
	}
	bi, err := buildinfo.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("reading the build information of %s: %w", fs.Arg(0), err)
	}
	var b bytes.Buffer
	if err := sbom.Write(&b, bi, sbom.Options{Version: *version, Time: t}); err != nil {
		return err
	}
	if *out == "-" {
		_, err = stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	return nil
}
