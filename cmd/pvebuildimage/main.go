// Command pvebuildimage builds the server's OCI image without a container
// engine: from scratch, one image per given binary's platform under one
// index, written as an OCI layout (a tar or a directory) and, for old
// docker versions, a `docker save` tar of one platform.
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$(...)" -o dist/amd64/proxmox-mcp-server ./cmd/proxmox-mcp-server
//	go run ./cmd/pvebuildimage --binary linux/amd64=dist/amd64/proxmox-mcp-server --version 0.1.0 --out image.tar
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/ociimage"
)

func main() {
	err := run(os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pvebuildimage:", err)
		os.Exit(1)
	}
}

// binaries collects repeated --binary flags.
type binaries []ociimage.Binary

func (b *binaries) String() string {
	s := make([]string, len(*b))
	for i, x := range *b {
		s[i] = x.Platform.String() + "=" + x.Path
	}
	return strings.Join(s, ",")
}

func (b *binaries) Set(s string) error {
	x, err := ociimage.ParseBinary(s)
	if err != nil {
		return err
	}
	*b = append(*b, x)
	return nil
}

func run(args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pvebuildimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var bins binaries
	fs.Var(&bins, "binary", "os/arch=PATH of a static build of the server; repeat for each platform")
	version := fs.String("version", "", "the image's version label (required)")
	revision := fs.String("revision", "", "the commit the binaries were built from")
	epoch := fs.String("epoch", "", "creation time in Unix seconds (default $SOURCE_DATE_EPOCH, else 0)")
	caFile := fs.String("ca-certs", ociimage.DefaultCAFile, "PEM bundle of CA certificates to put in the image")
	ref := fs.String("name", "", "image name recorded in the outputs (default proxmox-mcp-server:VERSION)")
	out := fs.String("out", "", "write the OCI layout as a tar to this file")
	dir := fs.String("layout", "", "write the OCI layout to this (missing or empty) directory")
	dockerOut := fs.String("docker-tar", "", "also write a `docker save` tar of one platform to this file")
	dockerPlat := fs.String("docker-platform", "", "the platform of --docker-tar (default the first --binary's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" && *dir == "" && *dockerOut == "" {
		return errors.New("no output: give --out, --layout or --docker-tar")
	}
	created, err := creationTime(*epoch, lookup)
	if err != nil {
		return err
	}
	if *ref == "" {
		// A tag takes no '+' (semver build metadata).
		*ref = "proxmox-mcp-server:" + strings.ReplaceAll(*version, "+", "-")
	}
	idx, err := ociimage.Build(ociimage.Options{Binaries: bins, Version: *version, Revision: *revision,
		Created: created, CAFile: *caFile})
	if err != nil {
		return err
	}
	if *out != "" {
		if err := ociimage.WriteLayoutTar(*out, idx, *ref, created); err != nil {
			return err
		}
	}
	if *dir != "" {
		if err := ociimage.WriteLayout(*dir, idx, *ref); err != nil {
			return err
		}
	}
	if *dockerOut != "" {
		p := bins[0].Platform
		if *dockerPlat != "" {
			q, err := v1.ParsePlatform(*dockerPlat)
			if err != nil {
				return fmt.Errorf("--docker-platform: %w", err)
			}
			p = *q
		}
		if err := ociimage.WriteDockerTar(*dockerOut, idx, p, *ref); err != nil {
			return err
		}
	}
	return summary(stdout, idx, *ref)
}

// creationTime is the image's fixed time: the flag, SOURCE_DATE_EPOCH
// (the reproducible-builds convention), or the Unix epoch.
func creationTime(flagValue string, lookup func(string) (string, bool)) (time.Time, error) {
	s, from := flagValue, "--epoch"
	if s == "" {
		s, from = "0", ""
		if v, ok := lookup("SOURCE_DATE_EPOCH"); ok && v != "" {
			s, from = v, "SOURCE_DATE_EPOCH"
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("%s %q: want Unix seconds", from, s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// summary prints the index digest and each platform's image digest and size.
func summary(w io.Writer, idx v1.ImageIndex, ref string) error {
	d, err := idx.Digest()
	if err != nil {
		return fmt.Errorf("index digest: %w", err)
	}
	fmt.Fprintf(w, "%s index %s\n", ref, d)
	m, err := idx.IndexManifest()
	if err != nil {
		return fmt.Errorf("reading index: %w", err)
	}
	for _, desc := range m.Manifests {
		size, err := imageSize(idx, desc.Digest)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s %s %.1f MiB compressed\n", desc.Platform, desc.Digest, float64(size)/(1<<20))
	}
	return nil
}

func imageSize(idx v1.ImageIndex, h v1.Hash) (int64, error) {
	img, err := idx.Image(h)
	if err != nil {
		return 0, fmt.Errorf("image %s: %w", h, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return 0, fmt.Errorf("layers of %s: %w", h, err)
	}
	var n int64
	for _, l := range layers {
		s, err := l.Size()
		if err != nil {
			return 0, fmt.Errorf("layer size in %s: %w", h, err)
		}
		n += s
	}
	return n, nil
}
