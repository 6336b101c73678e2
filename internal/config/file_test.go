package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const fileSecret = "0f4b7f9e-1111-2222-3333-444455556666"

func writeTOML(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clusters.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// zeta comes first in the file so that file order, not name order, shows.
const twoClusters = `default_cluster = "alpha"

[clusters.zeta]
host = "https://zeta.example:8006"
token_id = "mcp@pve!zeta"
token_secret_env = "ZETA_SECRET"
read_only = false
node_allowlist = ["z1", "z2"]
toolsets = ["qemu", "storage"]

[clusters.alpha]
host = "https://alpha.example:8006"
token_id = "mcp@pve!alpha"
token_secret_env = "ALPHA_SECRET"
vmid_allowlist = [100, 101]

[[policy]]
token = "alice"
clusters = ["alpha"]
read_only = true

[[policy]]
group = "ops"
vmid_allowlist = [101]
toolsets = ["qemu"]

[[policy]]
default = true
disable_destructive = true
`

func TestLoadFileTwoClusters(t *testing.T) {
	path := writeTOML(t, twoClusters)
	cs, err := LoadFile(path, env(map[string]string{"ZETA_SECRET": fileSecret, "ALPHA_SECRET": fileSecret}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cs.Names(); !slices.Equal(got, []string{"zeta", "alpha"}) || cs.Default != "alpha" || cs.Path != path {
		t.Fatalf("names %v, default %q, path %q", got, cs.Default, cs.Path)
	}
	z, a := cs.Cluster("zeta"), cs.Cluster("alpha")
	if cs.Cluster("nope") != nil || z == nil || a == nil {
		t.Fatal("Cluster lookup")
	}
	if z.Host.String() != "https://zeta.example:8006" || z.ReadOnly || !slices.Equal(z.NodeAllowlist, []string{"z1", "z2"}) ||
		z.VMIDAllowlist != nil || !slices.Equal(z.Toolsets, []string{"qemu", "storage"}) || z.Auth.TokenID != "mcp@pve!zeta" {
		t.Errorf("zeta: %+v", z.Config)
	}
	// alpha sets no read_only: the default (read-only) holds.
	if a.Host.String() != "https://alpha.example:8006" || !a.ReadOnly || a.NodeAllowlist != nil ||
		!slices.Equal(a.VMIDAllowlist, []int{100, 101}) || a.Toolsets != nil || a.Auth.TokenID != "mcp@pve!alpha" {
		t.Errorf("alpha: %+v", a.Config)
	}
	if len(cs.Policies) != 3 {
		t.Fatalf("policies: %+v", cs.Policies)
	}
	p0, p1, p2 := cs.Policies[0], cs.Policies[1], cs.Policies[2]
	if p0.Name() != "token:alice" || !slices.Equal(p0.Clusters, []string{"alpha"}) || !p0.ReadOnly || p0.DisableDestructive {
		t.Errorf("policy 0: %+v", p0)
	}
	if p1.Name() != "group:ops" || p1.Clusters != nil || !slices.Equal(p1.VMIDAllowlist, []int{101}) || !slices.Equal(p1.Toolsets, []string{"qemu"}) {
		t.Errorf("policy 1: %+v", p1)
	}
	if p2.Name() != "default" || !p2.DisableDestructive || p2.ReadOnly {
		t.Errorf("policy 2: %+v", p2)
	}
}

// TestLoadFileNoDefaultCluster: without default_cluster the first in the
// file is the default.
func TestLoadFileNoDefaultCluster(t *testing.T) {
	path := writeTOML(t, strings.Replace(twoClusters, `default_cluster = "alpha"`, "", 1))
	cs, err := LoadFile(path, env(map[string]string{"ZETA_SECRET": fileSecret, "ALPHA_SECRET": fileSecret}))
	if err != nil {
		t.Fatal(err)
	}
	if cs.Default != "zeta" {
		t.Errorf("default %q, want the first cluster", cs.Default)
	}
}

// TestLoadFileEveryProblem: one read lists every problem, each naming
// where it is.
func TestLoadFileEveryProblem(t *testing.T) {
	path := writeTOML(t, `default_cluster = "prod"

[clusters.good]
host = "https://good.example:8006"
token_id = "mcp@pve!good"
token_secret_env = "GOOD_SECRET"
colour = "blue"

[clusters.Bad_Name]
host = "https://bad.example:8006"

[clusters.nohost]
token_id = "mcp@pve!x"
token_secret_env = "GOOD_SECRET"

[clusters.literal]
host = "https://lit.example:8006"
token_id = "mcp@pve!lit"
token_secret = "0f4b7f9e-aaaa-bbbb-cccc-444455556666"

[clusters.unset]
host = "https://unset.example:8006"
token_id = "mcp@pve!unset"
token_secret_env = "NOT_SET_ANYWHERE"

[clusters.emptylist]
host = "https://empty.example:8006"
token_id = "mcp@pve!e"
token_secret_env = "GOOD_SECRET"
node_allowlist = []

[clusters.badid]
host = "https://badid.example:8006"
token_id = "mcp@pve!b"
token_secret_env = "GOOD_SECRET"
vmid_allowlist = [7]

[[policy]]
token = "alice"
group = "ops"

[[policy]]
subject = "u1"
clusters = ["good", "staging"]

[[policy]]
default = true
vmid_allowlist = [99999999999]
`)
	_, err := LoadFile(path, env(map[string]string{"GOOD_SECRET": fileSecret}))
	if err == nil || !IsConfigError(err) {
		t.Fatalf("want a configuration error, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`unknown key "clusters.good.colour"`,
		"clusters.Bad_Name: a cluster name is lower-case",
		"clusters.nohost.host (PROXMOX_HOST): required",
		"clusters.literal.token_secret / password: secrets are not read from the file",
		"clusters.unset.token_secret_env: the variable NOT_SET_ANYWHERE is not set",
		"clusters.emptylist.node_allowlist: an empty list",
		`clusters.badid.vmid_allowlist (PVE_VMID_ALLOWLIST): "7" is not a guest id`,
		`default_cluster: "prod" is not a cluster of the file`,
		"policy[0]: set exactly one of",
		`policy[1].clusters: "staging" is not a cluster of the file`,
		`policy[2].vmid_allowlist (PVE_VMID_ALLOWLIST): "99999999999" is not a guest id`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, fileSecret) || strings.Contains(msg, "0f4b7f9e-aaaa") {
		t.Errorf("a secret is echoed:\n%s", msg)
	}
}

// TestLoadFileConnectionNotInherited: a file cluster never takes the
// PROXMOX_* connection from the process environment (a credential would
// reach another host), while other settings default to it.
func TestLoadFileConnectionNotInherited(t *testing.T) {
	vars := base() // PROXMOX_HOST, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET set
	vars["PVE_TASK_TIMEOUT_MS"] = "1234"
	vars["PROXMOX_INSECURE_TLS"] = "true"
	path := writeTOML(t, `[clusters.bare]
read_only = false
`)
	_, err := LoadFile(path, env(vars))
	if err == nil {
		t.Fatal("a cluster without host and credential took the environment's")
	}
	for _, want := range []string{"clusters.bare.host (PROXMOX_HOST): required", "clusters.bare.token_id"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	path = writeTOML(t, `[clusters.one]
host = "https://one.example:8006"
token_id = "mcp@pve!one"
token_secret_env = "ONE_SECRET"
`)
	vars["ONE_SECRET"] = "11111111-2222-3333-4444-555555555555"
	cs, err := LoadFile(path, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	c := cs.Cluster("one")
	if c.TaskTimeout != 1234*time.Millisecond {
		t.Errorf("PVE_TASK_TIMEOUT_MS not inherited: %v", c.TaskTimeout)
	}
	if c.InsecureTLS || c.Host.Host != "one.example:8006" || c.Auth.TokenSecret != vars["ONE_SECRET"] {
		t.Errorf("the environment's connection leaked in: insecure %v, host %v", c.InsecureTLS, c.Host)
	}
}

// TestLoadWithConfigFile: Load with PVE_CONFIG_FILE is the default
// cluster's Config, carrying the clusters.
func TestLoadWithConfigFile(t *testing.T) {
	path := writeTOML(t, twoClusters)
	c, err := Load(env(map[string]string{"PVE_CONFIG_FILE": " " + path + " ", "ZETA_SECRET": fileSecret, "ALPHA_SECRET": fileSecret,
		"PROXMOX_HOST": "https://env.example:8006"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Clusters == nil || c.Clusters.Default != "alpha" || len(c.Clusters.List) != 2 {
		t.Fatalf("Clusters: %+v", c.Clusters)
	}
	if c.Host.String() != "https://alpha.example:8006" || !slices.Equal(c.VMIDAllowlist, []int{100, 101}) {
		t.Errorf("not the default cluster's Config: host %v, vmids %v", c.Host, c.VMIDAllowlist)
	}
	// The file's clusters do not carry the file again.
	if c.Clusters.Cluster("alpha").Clusters != nil {
		t.Error("a file cluster's Config holds Clusters")
	}

	if _, err := Load(env(map[string]string{"PVE_CONFIG_FILE": filepath.Join(t.TempDir(), "missing.toml")})); err == nil ||
		!strings.Contains(err.Error(), "PVE_CONFIG_FILE: cannot read the file") {
		t.Errorf("missing file: %v", err)
	}
}
