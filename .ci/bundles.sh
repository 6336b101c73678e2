#!/bin/sh
# Checks the distribution bundles with the pinned official CLIs from npm:
# the .mcpb (packed, validated, unpacked and run against the simulator),
# the Claude Code plugin and marketplace, and server.json's schema.
set -eu
cd "$(dirname "$0")/.."
npx --yes @anthropic-ai/mcpb@2.1.2 validate release/mcpb/manifest.json
npx --yes @anthropic-ai/claude-code@2.1.328 plugin validate .
PVE_MCP_NPM=1 go test -count=1 ./release/bundles/
