package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// TestHints: the newcomer's mistakes get the cause and the fix, over MCP
// against the simulator.
func TestHints(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{})
	// A VM tool on a container, a container tool on a VM, the wrong node.
	c.fails("pve_vm_status", m("node", "pve1", "vmid", 200), "guest 200 is a container", "pve_lxc_")
	c.fails("pve_lxc_status", m("node", "pve1", "vmid", 100), "guest 100 is a VM", "pve_vm_")
	c.fails("pve_vm_status", m("node", "pve2", "vmid", 100), "guest 100 is on node pve1, not pve2")
	// A guest that exists nowhere keeps the general hint.
	c.fails("pve_vm_status", m("node", "pve1", "vmid", 4242), "pve_cluster_resources")
	// An unknown node lists the known ones.
	c.fails("pve_node_status", m("node", "pve9"), `no node "pve9"`, "pve1, pve2, pve3")

	// A privilege-separated token without an ACL of its own sees nothing.
	const tok = "ops@pve!mcp"
	if err := cl.sim.AddToken(tok, "0ps-token-secret-1234", true); err != nil {
		t.Fatal(err)
	}
	if err := cl.sim.SetACL("/", "ops@pve", "PVEAuditor", true); err != nil {
		t.Fatal(err)
	}
	sep := cl.connect(t, clientOpts{env: map[string]string{"PROXMOX_TOKEN_ID": tok, "PROXMOX_TOKEN_SECRET": "0ps-token-secret-1234"}})
	res, text := sep.call("pve_list_vms", nil)
	if res.IsError || !strings.Contains(text, "privilege separation") || !strings.Contains(text, "pveum acl modify / --users 'ops@pve' --tokens '"+tok+"'") {
		t.Errorf("empty list note: %s", text)
	}
	// The default token sees guests: no note.
	if _, text := c.call("pve_list_vms", nil); strings.Contains(text, "privilege") {
		t.Errorf("note on a full list: %s", text)
	}
}

// TestHintReadOnlyTool: on a read-only server a write tool exists but is off.
func TestHintReadOnlyTool(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_READONLY": "true"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.session.CallTool(ctx, &mcp.CallToolParams{Name: "pve_vm_start", Arguments: m("node", "pve1", "vmid", 101)})
	if err == nil || !strings.Contains(err.Error(), `"pve_vm_start" exists`) || !strings.Contains(err.Error(), "PVE_READONLY=false") {
		t.Errorf("got %v", err)
	}
}

// TestHintSelfSigned: a self-signed node without a pin gets its fingerprint
// and the PROXMOX_TLS_FINGERPRINT line, not PROXMOX_INSECURE_TLS.
func TestHintSelfSigned(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, pvesim.Options{Speed: 0.02}, true)
	c := cl.connect(t, clientOpts{})
	text := c.fails("pve_cluster_resources", nil, "not trusted", "PROXMOX_TLS_FINGERPRINT="+cl.fingerprint, "valid ")
	if strings.Contains(text, "INSECURE") {
		t.Errorf("suggests turning verification off: %s", text)
	}
}

// TestStartupErrorReachesClient: a stdio server that cannot start answers
// the client's initialize with the reason, so the client shows what to fix
// instead of "Connection closed"; the secret is never in it.
func TestStartupErrorReachesClient(t *testing.T) {
	t.Parallel()
	const secret = "0ps-token-secret-5678"
	for _, tc := range []struct{ env, want []string }{
		{[]string{"PROXMOX_HOST=pve.example:8006", "PROXMOX_TOKEN_ID=ops@pve!mcp", "PROXMOX_TOKEN_SECRET=" + secret},
			[]string{"PROXMOX_HOST", "https://"}},
		{[]string{"PROXMOX_HOST=https://pve.example:8006", "PROXMOX_TOKEN_ID=ops@pve", "PROXMOX_TOKEN_SECRET=" + secret},
			[]string{"PROXMOX_TOKEN_ID", "USER@REALM!TOKENID"}},
		{[]string{"PROXMOX_HOST=https://pve.example:8006", "PROXMOX_TOKEN_ID=ops@pve!mcp", "PROXMOX_TOKEN_SECRET=" + secret,
			"PROXMOX_CA_FILE=/nonexistent/ca.pem"}, []string{"PROXMOX_CA_FILE"}},
	} {
		cmd := exec.Command(binary)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, tc.env...)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
		cancel()
		if err == nil {
			t.Fatalf("%v: connected", tc.env)
		}
		msg := err.Error()
		for _, w := range append(tc.want, "cannot start") {
			if !strings.Contains(msg, w) {
				t.Errorf("%v: the client saw %q, without %q", tc.env, msg, w)
			}
		}
		if strings.Contains(msg, secret) {
			t.Errorf("the secret reached the client: %q", msg)
		}
	}
}

// TestServerInfo: initialize names the server, its build's version and
// where its source is (the AGPL's offer of source to network users).
func TestServerInfo(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0.02).connect(t, clientOpts{})
	info := c.session.InitializeResult().ServerInfo
	if info.Name != "proxmox-mcp-server" || info.Version == "" || info.WebsiteURL != "https://github.com/proxmox-mcp/proxmox-mcp-server" {
		t.Errorf("serverInfo %+v", info)
	}
}
