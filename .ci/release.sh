#!/usr/bin/env bash
# The release as users get it, built and checked end to end without
# publishing anything: goreleaser (pinned in tools/release) makes a snapshot
# of HEAD in a clean clone (binaries for six platforms, archives, checksums,
# SBOMs, the Homebrew cask); the OCI image and the Claude Desktop bundles are
# made from those same binaries; then the tests that take PVE_MCP_DIST run
# the binary out of the archive, the image and the bundle. Needs git, Go,
# node/npx (the bundles) and the registries; about five minutes on 2 CPUs.
# Only committed work is built, as for a real release.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
	echo "release: uncommitted changes are not in this build (it is made from HEAD)" >&2
fi
git clone -q "$root" "$work/src"
cd "$work/src"
tools="$work/tools"
go -C tools/release build -o "$tools/" tool
go build -o "$tools/pvesbom" ./cmd/pvesbom
go build -o "$tools/pvebuildimage" ./cmd/pvebuildimage
export PATH="$tools:$PATH"
goreleaser check
goreleaser release --snapshot --clean >"$work/goreleaser.log" 2>&1 || { cat "$work/goreleaser.log"; exit 1; }
dist="$work/src/dist"
version="$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$dist/metadata.json")"
commit="$(git rev-parse HEAD)"
# The image from the release's Linux binaries, dated by the commit.
amd64="$(ls "$dist"/proxmox-mcp-server_linux_amd64_*/proxmox-mcp-server)"
arm64="$(ls "$dist"/proxmox-mcp-server_linux_arm64_*/proxmox-mcp-server)"
if [ -z "$version" ] || [ ! -f "$amd64" ] || [ ! -f "$arm64" ]; then
	echo "release: no version or Linux binaries in $dist" >&2; exit 1
fi
SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)" pvebuildimage --version "$version" --revision "$commit" \
	--binary "linux/amd64=$amd64" --binary "linux/arm64=$arm64" \
	--out "$dist/proxmox-mcp-server_${version}_oci.tar"
# The Claude Desktop bundles from the release's binaries.
DIST="$dist" VERSION="$version" sh release/mcpb/pack.sh "$dist" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
# The registry entry: the image and every bundle, with their sums.
sh release/registry/server-json.sh "$dist" "$version"
if ! PVE_MCP_DIST="$dist" go test -count=1 -v ./release/dist/ ./release/bundles/ ./internal/ociimage/ \
	-run 'Dist|TestBuiltFromHead|TestChecksums|TestArchives|TestHomebrewCask|TestHostArchiveRuns' >"$work/test.log" 2>&1; then
	cat "$work/test.log"; exit 1
fi
grep -E '^(--- |ok )' "$work/test.log"
( cd "$dist" && ls -1 *.tar.gz *.zip *.mcpb *_oci.tar *.cdx.json checksums.txt server.json homebrew/Casks/*.rb | while read -r f; do printf '%8s  %s\n' "$(du -h "$f" | cut -f1)" "$f"; done )
echo "release: $version ($commit) built and checked"
