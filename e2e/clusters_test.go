package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// clustersFile writes a PVE_CONFIG_FILE for two simulators: home
// (writes, guests 100 and 101) and lab (read-only, guest 102 only), and
// the variables holding their secrets.
func clustersFile(t *testing.T, home, lab *cluster, extra string) (string, map[string]string) {
	t.Helper()
	idH, secH := home.sim.DefaultToken()
	idL, secL := lab.sim.DefaultToken()
	path := filepath.Join(t.TempDir(), "clusters.toml")
	writeClusters(t, path, fmt.Sprintf(`default_cluster = "home"

[clusters.home]
host = %q
token_id = %q
token_secret_env = "HOME_SECRET"
read_only = false
vmid_allowlist = [100, 101]

[clusters.lab]
host = %q
token_id = %q
token_secret_env = "LAB_SECRET"
read_only = true
vmid_allowlist = [102]
%s`, home.url, idH, lab.url, idL, extra))
	return path, map[string]string{"PVE_CONFIG_FILE": path, "HOME_SECRET": secH, "LAB_SECRET": secL, "LOG_LEVEL": "debug"}
}

func writeClusters(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func requestCount(c *cluster) int { return len(c.sim.Requests()) }

// TestTwoClusters serves two simulated clusters from one process: each
// call reaches only the cluster it names, each cluster's allowlist and
// read-only setting hold on it alone, and "all" lists both.
func TestTwoClusters(t *testing.T) {
	home, lab := newCluster(t, 50), newCluster(t, 50)
	_, env := clustersFile(t, home, lab, "")
	cl := start(t, env, clientOpts{})

	var list struct {
		Clusters []struct {
			Name     string `json:"name"`
			Default  bool   `json:"default"`
			ReadOnly bool   `json:"read_only"`
			VMIDs    []int  `json:"vmid_allowlist"`
		} `json:"clusters"`
	}
	cl.ok("pve_cluster_list", nil, &list)
	if len(list.Clusters) != 2 || list.Clusters[0].Name != "home" || !list.Clusters[0].Default || list.Clusters[1].Name != "lab" || !list.Clusters[1].ReadOnly {
		t.Fatalf("pve_cluster_list = %+v", list)
	}

	// Each call reaches only its cluster.
	h0, l0 := requestCount(home), requestCount(lab)
	text := cl.ok("pve_list_vms", nil, nil)
	if requestCount(lab) != l0 || requestCount(home) == h0 {
		t.Fatalf("a call without cluster reached lab (%d -> %d requests) or not home (%d -> %d)", l0, requestCount(lab), h0, requestCount(home))
	}
	if !strings.Contains(text, `"vmid":100`) || strings.Contains(text, `"vmid":102`) {
		t.Errorf("home lists guests outside its allowlist or misses 100: %s", text)
	}
	h1 := requestCount(home)
	text = cl.ok("pve_list_vms", m("cluster", "lab"), nil)
	if requestCount(home) != h1 {
		t.Fatalf("a call for lab reached home")
	}
	if !strings.Contains(text, `"vmid":102`) || strings.Contains(text, `"vmid":100`) {
		t.Errorf("lab lists guests outside its allowlist: %s", text)
	}

	// A guest allowed on one cluster is refused on the other.
	cl.ok("pve_vm_status", m("node", "pve1", "vmid", 100), nil)
	cl.fails("pve_vm_status", m("node", "pve1", "vmid", 100, "cluster", "lab"), "PVE_VMID_ALLOWLIST")
	cl.fails("pve_vm_status", m("node", "pve2", "vmid", 102), "PVE_VMID_ALLOWLIST")

	// lab is read-only: a write there sends nothing; home takes it.
	cl.fails("pve_vm_start", m("node", "pve2", "vmid", 102, "cluster", "lab"), `cluster "lab" is read-only`)
	if w := lab.writes(); len(w) > 0 {
		t.Fatalf("lab received writes: %v", w)
	}
	cl.ok("pve_vm_start", m("node", "pve1", "vmid", 101), nil)
	if w := home.writes(); len(w) == 0 {
		t.Fatal("home received no write for pve_vm_start")
	}

	// "all": one list, each item marked with its cluster.
	text = cl.ok("pve_list_vms", m("cluster", "all"), nil)
	if !strings.Contains(text, `"cluster":"home"`) || !strings.Contains(text, `"cluster":"lab"`) {
		t.Errorf("cluster all did not merge both: %s", text)
	}
	cl.fails("pve_vm_start", m("node", "pve1", "vmid", 101, "cluster", "all"), `"all" is for lists`)

	// Prompts take the cluster too, completed from the names; a guest
	// lab does not allow is refused in lab's prompt.
	ctx := t.Context()
	comp, err := cl.session.Complete(ctx, &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/prompt", Name: "check_cluster_health"},
		Argument: mcp.CompleteParamsArgument{Name: "cluster", Value: "l"}})
	if err != nil || strings.Join(comp.Completion.Values, ",") != "lab" {
		t.Errorf("completion of cluster: %+v, %v", comp, err)
	}
	pr, err := cl.session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "check_cluster_health", Arguments: map[string]string{"cluster": "lab"}})
	if err != nil || !strings.Contains(pr.Messages[0].Content.(*mcp.TextContent).Text, `"cluster": "lab"`) {
		t.Errorf("prompt for lab: %v", err)
	}
	if _, err := cl.session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "check_cluster_health", Arguments: map[string]string{"cluster": "prod"}}); err == nil ||
		!strings.Contains(err.Error(), `no cluster "prod"`) {
		t.Errorf("prompt for an unknown cluster: %v", err)
	}

	// Unknown names and wrong types name the argument and the choices.
	cl.fails("pve_list_vms", m("cluster", "prod"), `no cluster "prod"`, "home, lab")
	cl.fails("pve_list_vms", m("cluster", 7), `invalid argument "cluster"`)
}

// TestClustersReloadOnHangup: SIGHUP takes a changed file; a file with
// problems is refused and the running configuration stays.
func TestClustersReloadOnHangup(t *testing.T) {
	home, lab := newCluster(t, 50), newCluster(t, 50)
	path, env := clustersFile(t, home, lab, "")
	cl := start(t, env, clientOpts{})
	cl.fails("pve_vm_status", m("node", "pve1", "vmid", 100, "cluster", "lab"), "PVE_VMID_ALLOWLIST")

	text, _ := os.ReadFile(path)
	writeClusters(t, path, strings.Replace(string(text), "vmid_allowlist = [102]", "vmid_allowlist = [100, 102]", 1))
	hangup(t, cl, "PVE_CONFIG_FILE reloaded")
	cl.ok("pve_vm_status", m("node", "pve1", "vmid", 100, "cluster", "lab"), nil)

	// A broken file: the last good configuration stays.
	writeClusters(t, path, strings.Replace(string(text), "[clusters.lab]", "[clusters.lab]\nbogus_key = 1", 1))
	hangup(t, cl, "PVE_CONFIG_FILE not reloaded")
	if !strings.Contains(cl.stderr.String(), "bogus_key") {
		t.Errorf("the refused reload does not name the bad key:\n%s", cl.stderr)
	}
	cl.ok("pve_vm_status", m("node", "pve1", "vmid", 100, "cluster", "lab"), nil)
}

// hangup sends SIGHUP to the server and waits for want in its log.
func hangup(t *testing.T, cl *client, want string) {
	t.Helper()
	before := strings.Count(cl.stderr.String(), want)
	if err := cl.proc.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(cl.stderr.String(), want) == before {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log after SIGHUP:\n%s", want, cl.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClustersDoctor: doctor checks each cluster of the file on its own.
func TestClustersDoctor(t *testing.T) {
	home, lab := newCluster(t, 50), newCluster(t, 50)
	_, env := clustersFile(t, home, lab, "")
	env["LAB_SECRET"] = "0b0e3f2a-0000-4000-8000-000000000000" // lab's login fails
	cmd := exec.Command(binary, "doctor", "--json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err == nil {
		t.Fatalf("doctor passed with lab's login failing:\n%s", out)
	}
	var r struct {
		OK       bool `json:"ok"`
		Clusters []struct {
			Name   string `json:"name"`
			OK     bool   `json:"ok"`
			Checks []struct {
				Name   string `json:"check"`
				Status string `json:"status"`
			} `json:"checks"`
		} `json:"clusters"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	if len(r.Clusters) != 2 || r.Clusters[0].Name != "home" || !r.Clusters[0].OK || r.Clusters[1].Name != "lab" || r.Clusters[1].OK || r.OK {
		t.Fatalf("doctor report per cluster: %s", out)
	}
	last := r.Clusters[1].Checks[len(r.Clusters[1].Checks)-1]
	if last.Name != "auth" || last.Status != "fail" {
		t.Errorf("lab's failing step is %+v, want auth fail", last)
	}
}
