#!/bin/sh
# Packs one Claude Desktop bundle per platform: stages manifest.json, the
# platform's binary and LICENSE, then validates and packs with the pinned
# official CLI. Usage: pack.sh OUTDIR [GOOS/GOARCH ...] (default: the four
# release platforms). VERSION sets the manifest and binary version; DIST,
# a goreleaser dist directory, makes it take the release's binaries instead
# of building them.
set -eu
mcpb="@anthropic-ai/mcpb@2.1.2"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$1
shift
[ $# -gt 0 ] || set -- darwin/arm64 darwin/amd64 windows/amd64 linux/amd64
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=${VERSION:-$(node -p 'require(process.argv[1]).version' "$here/manifest.json")}
for target in "$@"; do
	goos=${target%/*}
	goarch=${target#*/}
	stage=$(mktemp -d)
	exe=proxmox-mcp-server
	[ "$goos" = windows ] && exe=$exe.exe
	mkdir -p "$stage/server"
	if [ -n "${DIST:-}" ]; then
		# goreleaser's binary for the platform (dist/NAME_OS_ARCH_LEVEL/).
		bin=$(ls "$DIST"/proxmox-mcp-server_"$goos"_"$goarch"_*/"$exe" 2>/dev/null | head -n 1)
		[ -n "$bin" ] || { echo "pack.sh: no $goos/$goarch binary in $DIST" >&2; exit 1; }
		cp "$bin" "$stage/server/$exe"
	else
		(cd "$root" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath \
			-ldflags "-s -w -X github.com/proxmox-mcp/proxmox-mcp-server/internal/buildinfo.version=$version" \
			-o "$stage/server/$exe" ./cmd/proxmox-mcp-server)
	fi
	cp "$root/LICENSE" "$root/NOTICE" "$root/THIRD_PARTY_LICENSES.md" "$stage/"
	platform=$goos
	[ "$goos" = windows ] && platform=win32
	node -e '
const fs = require("fs");
const [src, dst, exe, platform, version] = process.argv.slice(1);
const m = JSON.parse(fs.readFileSync(src));
m.version = version;
m.server.entry_point = "server/" + exe;
m.compatibility.platforms = [platform];
fs.writeFileSync(dst, JSON.stringify(m, null, 2) + "\n");
' "$here/manifest.json" "$stage/manifest.json" "$exe" "$platform" "$version"
	npx --yes "$mcpb" validate "$stage/manifest.json" >&2
	npx --yes "$mcpb" pack "$stage" "$out/proxmox-mcp-server-$version-$goos-$goarch.mcpb" >&2
	rm -rf "$stage"
done
# The fileSha256 values server.json's mcpb packages need.
if command -v sha256sum >/dev/null; then
	(cd "$out" && sha256sum ./*.mcpb)
else
	(cd "$out" && shasum -a 256 ./*.mcpb) # macOS
fi
