package ociimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refAnnotations name the image for whoever loads the layout: podman and
// skopeo read the OCI ref name; docker (25+) and containerd read their own
// key, which holds a fully qualified name.
func refAnnotations(ref string) (map[string]string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return nil, fmt.Errorf("image name %q: %w", ref, err)
	}
	registry := tag.RegistryStr()
	if registry == name.DefaultRegistry {
		registry = "docker.io" // containerd's spelling of Docker Hub
	}
	return map[string]string{
		"org.opencontainers.image.ref.name": ref,
		"io.containerd.image.name":          registry + "/" + tag.RepositoryStr() + ":" + tag.TagStr(),
	}, nil
}

// WriteLayout writes idx as an OCI image layout in dir, which must be
// missing or empty: blobs of an older build would be left behind.
func WriteLayout(dir string, idx v1.ImageIndex, ref string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("layout directory %s is not empty", dir)
	}
	anns, err := refAnnotations(ref)
	if err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing layout %s: %w", dir, err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(anns)); err != nil {
		return fmt.Errorf("writing image to layout %s: %w", dir, err)
	}
	return nil
}

// WriteLayoutTar writes idx as an OCI layout in a tar file (what `podman
// load`, `docker load` and `skopeo copy oci-archive:` read). Entries are in
// lexical order with one fixed time, so the tar is as reproducible as the
// image.
func WriteLayoutTar(path string, idx v1.ImageIndex, ref string, mtime time.Time) (err error) {
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".pvebuildimage-")
	if err != nil {
		return fmt.Errorf("layout scratch directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "layout")
	if err := WriteLayout(dir, idx, ref); err != nil {
		return err
	}
	part := filepath.Join(tmp, "image.tar")
	f, err := os.Create(part)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := tarDir(f, dir, mtime); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(part, path); err != nil {
		return fmt.Errorf("moving image tar into place: %w", err)
	}
	return nil
}

// tarDir writes the tree under dir; WalkDir visits it in lexical order.
func tarDir(w io.Writer, dir string, mtime time.Time) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		name, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(name), Mode: 0o644, ModTime: mtime, Format: tar.FormatPAX}
		if d.IsDir() {
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, h.Name+"/", 0o755
			return tw.WriteHeader(h)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		h.Typeflag, h.Size = tar.TypeReg, st.Size()
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// WriteDockerTar writes the image for one platform in `docker save`'s
// format, which every docker version loads (older ones read no OCI layout).
func WriteDockerTar(path string, idx v1.ImageIndex, p v1.Platform, ref string) error {
	img, err := PlatformImage(idx, p)
	if err != nil {
		return err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image name %q: %w", ref, err)
	}
	part := path + ".part"
	if err := tarball.WriteToFile(part, tag, img); err != nil {
		os.Remove(part)
		return fmt.Errorf("writing docker tar %s: %w", path, err)
	}
	if err := os.Rename(part, path); err != nil {
		return fmt.Errorf("moving docker tar into place: %w", err)
	}
	return nil
}

// PlatformImage is idx's image for p.
func PlatformImage(idx v1.ImageIndex, p v1.Platform) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index: %w", err)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.Equals(p) {
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("image for %s: %w", p, err)
			}
			return img, nil
		}
	}
	return nil, fmt.Errorf("no image for platform %s in the index", p)
}
