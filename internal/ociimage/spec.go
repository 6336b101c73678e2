// Package ociimage builds the server's container image without a container
// engine: an OCI image index over one image per platform, from scratch, with
// the static binary, a CA bundle, a non-root user and a writable /tmp. The
// same input gives the same digest. The Dockerfile at the repository's root
// states the same image; its test reads the values below.
package ociimage

import (
	"embed"
	"strings"
)

// What the image holds and how it runs. The Dockerfile's test compares its
// instructions with these, so both builds stay one image.
const (
	BinaryPath = "/usr/local/bin/proxmox-mcp-server"
	CAPath     = "/etc/ssl/certs/ca-certificates.crt"
	PasswdPath = "/etc/passwd"
	GroupPath  = "/etc/group"
	TmpPath    = "/tmp"
	HomePath   = "/home/nonroot"

	// DefaultCAFile is Debian's bundle (package ca-certificates) on the
	// build machine; a scratch image has none of its own.
	DefaultCAFile = "/etc/ssl/certs/ca-certificates.crt"

	UID  = 65532 // distroless's "nonroot"; no file in the image is writable by it but /tmp and its home
	User = "65532:65532"

	// RootfsDir holds /etc/passwd and /etc/group as files, embedded here
	// and copied by the Dockerfile from this path in the build context.
	RootfsDir = "internal/ociimage/rootfs"

	Module       = "github.com/proxmox-mcp/proxmox-mcp-server"
	MCPName      = "io.github.proxmox-mcp/proxmox-mcp-server"
	Source       = "https://github.com/proxmox-mcp/proxmox-mcp-server"
	License      = "AGPL-3.0-or-later" // SPDX id; must follow the repository's LICENSE (a test checks)
	Title        = "proxmox-mcp-server"
	Description  = "Model Context Protocol server for Proxmox VE"
	buildinfoPkg = Module + "/internal/buildinfo"
)

//go:embed rootfs/etc/passwd rootfs/etc/group
var rootfs embed.FS

// Entrypoint runs the server; arguments given to `docker run IMAGE ...`
// follow it (demo, version, --http ...).
func Entrypoint() []string { return []string{BinaryPath} }

// Env is the image's environment: Go reads SSL_CERT_FILE for its roots.
func Env() []string {
	return []string{"PATH=/usr/local/bin", "SSL_CERT_FILE=" + CAPath}
}

// Labels are the image config's labels and the manifests' annotations.
// version and revision are the build's.
func Labels(version, revision string) map[string]string {
	return map[string]string{
		"io.modelcontextprotocol.server.name":    MCPName,
		"org.opencontainers.image.source":        Source,
		"org.opencontainers.image.version":       version,
		"org.opencontainers.image.licenses":      License,
		"org.opencontainers.image.title":         Title,
		"org.opencontainers.image.description":   Description,
		"org.opencontainers.image.url":           Source,
		"org.opencontainers.image.documentation": Source + "#readme",
		"org.opencontainers.image.revision":      revision,
	}
}

// LDFlags are the release build's linker flags: stripped, with the
// version, commit and date that `proxmox-mcp-server version` prints.
func LDFlags(version, commit, date string) string {
	return strings.Join([]string{
		"-s", "-w",
		"-X", buildinfoPkg + ".version=" + version,
		"-X", buildinfoPkg + ".commit=" + commit,
		"-X", buildinfoPkg + ".date=" + date,
	}, " ")
}
