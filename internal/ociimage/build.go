package ociimage

import (
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Binary is the server built for one platform.
type Binary struct {
	Platform v1.Platform
	Path     string
}

// ParseBinary reads "os/arch[/variant]=PATH", as the command's flag takes it.
func ParseBinary(s string) (Binary, error) {
	plat, path, ok := strings.Cut(s, "=")
	if !ok || plat == "" || path == "" {
		return Binary{}, fmt.Errorf("binary %q: want os/arch=PATH, e.g. linux/amd64=dist/proxmox-mcp-server", s)
	}
	p, err := v1.ParsePlatform(plat)
	if err != nil {
		return Binary{}, fmt.Errorf("binary %q: %w", s, err)
	}
	if p.OS == "" || p.Architecture == "" {
		return Binary{}, fmt.Errorf("binary %q: platform needs os/arch", s)
	}
	return Binary{Platform: *p, Path: path}, nil
}

// Options say what to build.
type Options struct {
	Binaries []Binary // one image per platform, in this order in the index
	Version  string   // org.opencontainers.image.version
	Revision string   // the commit, org.opencontainers.image.revision
	Created  time.Time
	CAFile   string // PEM bundle copied to CAPath; DefaultCAFile when empty
}

// Build makes the image index. Nothing is written; the layers are read
// again when the index is written.
func Build(o Options) (v1.ImageIndex, error) {
	if len(o.Binaries) == 0 {
		return nil, fmt.Errorf("no binary given")
	}
	if o.Version == "" {
		return nil, fmt.Errorf("no version given")
	}
	if o.CAFile == "" {
		o.CAFile = DefaultCAFile
	}
	created := o.Created.UTC().Truncate(time.Second)
	if o.Created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	base, err := baseLayer(o.CAFile, created)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, b := range o.Binaries {
		if seen[b.Platform.String()] {
			return nil, fmt.Errorf("platform %s given twice", b.Platform)
		}
		seen[b.Platform.String()] = true
		img, err := platformImage(o, b, base, created)
		if err != nil {
			return nil, err
		}
		p := b.Platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	out, ok := mutate.Annotations(idx, Labels(o.Version, o.Revision)).(v1.ImageIndex)
	if !ok {
		return nil, fmt.Errorf("annotating the index: not an index")
	}
	return out, nil
}

func platformImage(o Options, b Binary, base v1.Layer, created time.Time) (v1.Image, error) {
	bin, err := binaryLayer(b.Path, b.Platform, created)
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: b.Platform.Architecture,
		OS:           b.Platform.OS,
		Variant:      b.Platform.Variant,
		OSVersion:    b.Platform.OSVersion,
		Created:      v1.Time{Time: created},
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			User:       User,
			Entrypoint: Entrypoint(),
			Env:        Env(),
			Labels:     Labels(o.Version, o.Revision),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("image config for %s: %w", b.Platform, err)
	}
	when := v1.Time{Time: created}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: when, CreatedBy: "pvebuildimage: CA bundle, users, /tmp"}},
		mutate.Addendum{Layer: bin, History: v1.History{Created: when, CreatedBy: "pvebuildimage: " + BinaryPath}})
	if err != nil {
		return nil, fmt.Errorf("layers for %s: %w", b.Platform, err)
	}
	out, ok := mutate.Annotations(img, Labels(o.Version, o.Revision)).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("annotating the image for %s: not an image", b.Platform)
	}
	return out, nil
}
