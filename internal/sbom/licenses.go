package sbom

// Licenses is the SPDX licence expression of the main module, the Go
// standard library ("stdlib") and each module the binary links, as NOTICE
// states them. TestLicensesCoverLinkedModules fails when a module is linked
// that the table does not name.
func Licenses() map[string]string {
	return map[string]string{
		"github.com/proxmox-mcp/proxmox-mcp-server": "AGPL-3.0-or-later",
		"stdlib": "BSD-3-Clause",
		// The go-sdk's LICENSE: a transition from MIT to Apache-2.0, with
		// contributions under either.
		"github.com/modelcontextprotocol/go-sdk": "Apache-2.0 AND MIT",
		"github.com/google/jsonschema-go":        "MIT",
		"github.com/yosida95/uritemplate/v3":     "BSD-3-Clause",
		"github.com/segmentio/asm":               "MIT",
		"github.com/segmentio/encoding":          "MIT",
		"github.com/BurntSushi/toml":             "MIT",
		"github.com/coreos/go-oidc/v3":           "Apache-2.0",
		"github.com/go-jose/go-jose/v4":          "Apache-2.0 AND BSD-3-Clause",
		"golang.org/x/crypto":                    "BSD-3-Clause",
		"golang.org/x/image":                     "BSD-3-Clause",
		"golang.org/x/net":                       "BSD-3-Clause",
		"golang.org/x/oauth2":                    "BSD-3-Clause",
		"golang.org/x/sync":                      "BSD-3-Clause",
		"golang.org/x/sys":                       "BSD-3-Clause",
		"golang.org/x/text":                      "BSD-3-Clause",
		"golang.org/x/time":                      "BSD-3-Clause",
	}
}
