#!/bin/sh
# The MCP Apps view: rebuilt from ui/ to the same bytes as the embedded
# file, then tested in headless Chromium (Debian's package) with
# playwright-core, hosted through the ext-apps AppBridge and connected to
# the built server on the simulator. Writes docs/img/dashboard.png.
# Pinned in ui/package.json and its lock; npm registry and apt only.
set -eu
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null
	else
		sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
	fi
fi
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
	echo "apps: needs Node.js 20 or later (ui/package.json's packages ask for it)" >&2
	exit 1
fi
echo "apps: Node.js $(node --version), $(chromium --version 2>/dev/null || echo chromium)"
(cd ui && npm ci --no-audit --no-fund --silent)
# The committed build must be what the sources give.
go test -count=1 -run '^TestBuiltViewIsCurrent$' ./internal/apps/
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/proxmox-mcp-server" ./cmd/proxmox-mcp-server
mkdir -p docs/img
(cd ui && CHROMIUM="$(command -v chromium)" node test/apps.test.mjs "$tmp/proxmox-mcp-server" ../docs/img/dashboard.png)
