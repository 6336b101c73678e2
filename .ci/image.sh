#!/usr/bin/env bash
# The OCI image as its users build it: the server for linux/amd64 and
# linux/arm64 with the release's flags, pvebuildimage run twice (the same
# bytes both times), and the layout tar read by skopeo (containers/image,
# what podman loads with), so a reader other than go-containerregistry
# checks the format. Debian's skopeo, pinned by the distribution's release.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v skopeo >/dev/null; then
	apt-get install -y -q skopeo >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q skopeo >/dev/null; }
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
pkg=github.com/proxmox-mcp/proxmox-mcp-server/internal/buildinfo
flags="-s -w -X $pkg.version=0.0.0-ci -X $pkg.commit=$(git rev-parse HEAD) -X $pkg.date=1970-01-01T00:00:00Z"
for arch in amd64 arm64; do
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags "$flags" -o "$out/$arch/proxmox-mcp-server" ./cmd/proxmox-mcp-server
done
go build -o "$out/pvebuildimage" ./cmd/pvebuildimage
for n in 1 2; do
	SOURCE_DATE_EPOCH=1700000000 "$out/pvebuildimage" --version 0.0.0-ci --revision "$(git rev-parse HEAD)" \
		--binary "linux/amd64=$out/amd64/proxmox-mcp-server" --binary "linux/arm64=$out/arm64/proxmox-mcp-server" \
		--out "$out/image$n.tar" >"$out/summary$n"
done
cat "$out/summary1"
if ! cmp -s "$out/image1.tar" "$out/image2.tar"; then
	echo "image: two builds of the same binaries differ"; exit 1
fi
digest="$(awk '/ index /{ print $3 }' "$out/summary1")"
for arch in amd64 arm64; do
	got="$(skopeo inspect --override-os linux --override-arch $arch --format \
		'{{.Digest}} {{.Os}}/{{.Architecture}} {{index .Labels "io.modelcontextprotocol.server.name"}}' \
		"oci-archive:$out/image1.tar:proxmox-mcp-server:0.0.0-ci")"
	want="$digest linux/$arch io.github.proxmox-mcp/proxmox-mcp-server"
	if [ "$got" != "$want" ]; then
		echo "image: skopeo read '$got', want '$want'"; exit 1
	fi
done
echo "image: $(du -h "$out/image1.tar" | cut -f1) layout tar, reproducible, read by $(skopeo --version)"
