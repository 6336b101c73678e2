#!/bin/sh
# Writes DIST/server.json, the MCP registry entry of a release: the
# repository's server.json with the release's version, its OCI image tag,
# and one MCPB package per Claude Desktop bundle in DIST with the bundle's
# SHA-256 (the registry requires it). Usage: server-json.sh DIST VERSION
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dist=$1
version=$2
node -e '
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const [src, dist, version] = process.argv.slice(1);
const s = JSON.parse(fs.readFileSync(src));
s.version = version;
// Every package but the bundles is kept; the image gets the release tag
// (an image pinned by digest is left as it is).
const kept = s.packages.filter(p => p.registryType !== "mcpb");
for (const p of kept) {
	p.version = version;
	if (p.registryType === "oci" && !p.identifier.includes("@")) {
		p.identifier = p.identifier.replace(/:[^:/]+$/, ":" + version);
	}
}
const bundles = fs.readdirSync(dist).filter(f => f.endsWith(".mcpb")).sort();
if (bundles.length === 0) throw new Error("no .mcpb in " + dist);
s.packages = kept.concat(bundles.map(f => ({
	registryType: "mcpb",
	identifier: s.repository.url + "/releases/download/v" + version + "/" + f,
	version,
	fileSha256: crypto.createHash("sha256").update(fs.readFileSync(path.join(dist, f))).digest("hex"),
	transport: { type: "stdio" },
})));
fs.writeFileSync(path.join(dist, "server.json"), JSON.stringify(s, null, 2) + "\n");
' "$here/../../server.json" "$dist" "$version"
