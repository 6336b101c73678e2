#!/bin/sh
# The e2e scenarios driven by the official TypeScript MCP SDK client
# (pinned in e2e/tsclient/package.json; the npm registry only).
set -eu
cd "$(dirname "$0")/.."
PVE_MCP_NPM=1 go test -count=1 -run '^TestTS' ./e2e/
