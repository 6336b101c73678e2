package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	aliceTok = strings.Repeat("alice-t0k3n", 4)
	bobTok   = strings.Repeat("bob-t0k3n-", 4)
)

// principals is one HTTP server over two writable clusters, home and
// lab, with two static tokens: alice (home only, read-only) and bob (both
// clusters, guest 102 only).
type principals struct {
	hs         *httpServer
	home, lab  *cluster
	audit      string
	alice, bob *peer
}

func startPrincipals(t *testing.T) *principals {
	t.Helper()
	home, lab := newCluster(t, 0.02), newCluster(t, 0.02)
	idH, secH := home.sim.DefaultToken()
	idL, secL := lab.sim.DefaultToken()
	dir := t.TempDir()
	path := filepath.Join(dir, "clusters.toml")
	writeClusters(t, path, fmt.Sprintf(`default_cluster = "home"

[clusters.home]
host = %q
token_id = %q
token_secret_env = "HOME_SECRET"
read_only = false

[clusters.lab]
host = %q
token_id = %q
token_secret_env = "LAB_SECRET"
read_only = false

[[policy]]
token = "alice"
clusters = ["home"]
read_only = true

[[policy]]
token = "bob"
clusters = ["home", "lab"]
vmid_allowlist = [102]
`, home.url, idH, lab.url, idL))
	pr := &principals{home: home, lab: lab, audit: filepath.Join(dir, "audit.jsonl")}
	pr.hs = startHTTP(t, home, map[string]string{"PVE_CONFIG_FILE": path, "HOME_SECRET": secH, "LAB_SECRET": secL,
		"PVE_MCP_HTTP_TOKEN": "", "PVE_MCP_HTTP_TOKEN_FILE": writeTokenFile(t, map[string]string{"alice": aliceTok, "bob": bobTok}),
		"PVE_AUDIT_LOG": pr.audit, "PVE_READONLY": "false", "PVE_TOOLSETS": "all", "LOG_LEVEL": "debug"})
	pr.alice = pr.hs.openAs(t, aliceTok, `{}`)
	pr.bob = pr.hs.openAs(t, bobTok, `{}`)
	return pr
}

type clusterListed struct {
	Clusters []struct {
		Name     string `json:"name"`
		ReadOnly bool   `json:"read_only"`
		VMIDs    []int  `json:"vmid_allowlist"`
	} `json:"clusters"`
	Policy string `json:"policy"`
}

func (p *peer) clusterList() clusterListed {
	p.t.Helper()
	var out clusterListed
	if err := json.Unmarshal([]byte(p.ok("pve_cluster_list", nil)), &out); err != nil {
		p.t.Fatal(err)
	}
	return out
}

// TestPrincipalPolicies: alice and bob side by side on one server, each
// held to their own policy.
func TestPrincipalPolicies(t *testing.T) {
	pr := startPrincipals(t)
	alice, bob := pr.alice, pr.bob

	// alice is read-only: no write tool is listed; bob's list has them.
	for name, ro := range alice.listed() {
		if !ro {
			t.Errorf("alice's tools/list offers the write tool %s", name)
		}
	}
	if ro, ok := bob.listed()["pve_vm_start"]; !ok || ro {
		t.Errorf("bob's tools/list lacks pve_vm_start")
	}

	// alice may not reach lab, not even to read, nor with "all".
	l0 := requestCount(pr.lab)
	alice.fails("pve_list_vms", m("cluster", "lab"), `cluster "lab" is not one policy token:alice allows`)
	alice.fails("pve_vm_status", m("node", "pve2", "vmid", 102, "cluster", "lab"), "token:alice")
	if all := alice.ok("pve_list_vms", m("cluster", "all")); strings.Contains(all, `"cluster":"lab"`) {
		t.Errorf(`alice's "all" holds lab: %s`, all)
	}
	if n := requestCount(pr.lab); n != l0 {
		t.Fatalf("alice's calls reached lab: %d requests", n-l0)
	}
	// alice's write on home is refused and sends nothing.
	alice.fails("pve_vm_start", m("node", "pve1", "vmid", 101), "policy token:alice is read-only")
	alice.fails("pve_vm_start", m("node", "pve1", "vmid", 101, "cluster", "home"), "read-only")
	if w := pr.home.writes(); len(w) > 0 {
		t.Fatalf("alice's refused write reached home: %v", w)
	}
	alice.ok("pve_vm_status", m("node", "pve1", "vmid", 100)) // she reads home's guests

	// bob sees guest 102 alone, on either cluster.
	for _, c := range []string{"home", "lab", "all"} {
		text := bob.ok("pve_list_vms", m("cluster", c))
		if !strings.Contains(text, `"vmid":102`) || strings.Contains(text, `"vmid":100`) || strings.Contains(text, `"vmid":101`) {
			t.Errorf("bob's list on %s: %s", c, text)
		}
	}
	h0 := len(pr.home.sim.Requests())
	bob.fails("pve_vm_status", m("node", "pve1", "vmid", 100), "PVE_VMID_ALLOWLIST")
	bob.fails("pve_vm_status", m("node", "pve1", "vmid", 100, "cluster", "lab"), "PVE_VMID_ALLOWLIST")
	if sawGuest(pr.home, h0, 100) {
		t.Error("bob's refused status read of 100 reached home")
	}

	// pve_cluster_list: each sees their clusters and their policy.
	al := alice.clusterList()
	if al.Policy != "token:alice" || len(al.Clusters) != 1 || al.Clusters[0].Name != "home" || !al.Clusters[0].ReadOnly {
		t.Errorf("alice's pve_cluster_list: %+v", al)
	}
	bl := bob.clusterList()
	if bl.Policy != "token:bob" || len(bl.Clusters) != 2 || bl.Clusters[0].Name != "home" || bl.Clusters[1].Name != "lab" {
		t.Fatalf("bob's pve_cluster_list: %+v", bl)
	}
	for _, c := range bl.Clusters {
		if c.ReadOnly || len(c.VMIDs) != 1 || c.VMIDs[0] != 102 {
			t.Errorf("bob's %s: %+v", c.Name, c)
		}
	}

	// bob's write on lab: it reaches lab alone, and the audit log names
	// him and the cluster.
	bob.ok("pve_vm_reboot", m("node", "pve2", "vmid", 102, "cluster", "lab"))
	if len(pr.lab.writes()) == 0 || len(pr.home.writes()) > 0 {
		t.Fatalf("bob's write on lab: lab %v, home %v", pr.lab.writes(), pr.home.writes())
	}
	b, err := os.ReadFile(pr.audit)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e struct{ Principal, Cluster, Event, Tool, Target string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if e.Tool == "pve_vm_reboot" && e.Event == "call" {
			found = true
			if !strings.Contains(e.Principal, "bob") || e.Cluster != "lab" || e.Target != "pve2/102" {
				t.Errorf("audit entry: %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("no audit entry for bob's reboot:\n%s", b)
	}
}
