package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

const (
	ciKey1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6+QmBv8cFSRwuGqAe1wCkHzsVtc6Pn0Ym/3Ur admin@laptop"
	ciKey2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKksNuZqJe6Z/4Yvqo6HmHvmx80Tw+5mHEAKRbDx47Ey ops"
	// what the web UI sends for both keys, and Proxmox stores: encodeURIComponent
	ciKeysStored = "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6%2BQmBv8cFSRwuGqAe1wCkHzsVtc6Pn0Ym%2F3Ur%20admin%40laptop%0A" +
		"ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIKksNuZqJe6Z%2F4Yvqo6HmHvmx80Tw%2B5mHEAKRbDx47Ey%20ops%0A"
	ciPassword = "Corr3ct-Horse-Battery"
)

type ciResult struct {
	Changed     map[string]struct{ From, To string }
	PasswordSet bool
	Regenerated bool
	Status      string
	Drive       string
	Next        string
	Pending     []string
}

// TestCloudinit calls the cloudinit toolset over MCP and checks what the
// simulator holds after each call.
func TestCloudinit(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "cloudinit,qemu,cluster"}})
	vm := m("node", "pve1", "vmid", 101)
	with := func(kv ...any) map[string]any {
		out := m("node", "pve1", "vmid", 101)
		for k, v := range m(kv...) {
			out[k] = v
		}
		return out
	}

	t.Run("no drive", func(t *testing.T) {
		before := len(cl.writes())
		c.fails("pve_vm_cloudinit", with("ciuser", "admin"), "no cloud-init drive", `pve_vm_set_config extra {"ide0": "local-lvm:cloudinit"}`)
		if w := cl.writes(); len(w) != before {
			t.Errorf("a refused call wrote: %v", w[before:])
		}
		var dump struct{ Drive, Note string }
		c.ok("pve_vm_cloudinit_dump", vm, &dump)
		if dump.Drive != "" || !strings.Contains(dump.Note, "no cloud-init drive") {
			t.Errorf("dump without a drive: %+v", dump)
		}
	})

	c.ok("pve_vm_set_config", with("extra", m("ide0", "local-lvm:cloudinit"), "confirm", true), nil)

	t.Run("set", func(t *testing.T) {
		var out ciResult
		c.ok("pve_vm_cloudinit", with("ciuser", "admin", "cipassword", ciPassword, "sshkeys", []string{ciKey1, ciKey2 + "\n" + ciKey1},
			"ipconfig", []any{m("ip", "192.168.100.50/24", "gw", "192.168.100.1", "ip6", "2001:db8::50/64", "gw6", "2001:db8::1")},
			"nameserver", []string{"1.1.1.1", "9.9.9.9"}, "searchdomain", []string{"example.com"}), &out)
		if !out.PasswordSet || out.Changed["cipassword"].To != "**********" || !out.Regenerated || out.Status != "stopped" || out.Drive != "ide0" ||
			!strings.Contains(out.Next, "pve_vm_start") || out.Changed["ciuser"].To != "admin" {
			t.Errorf("result: %+v", out)
		}
		if got := out.Changed["sshkeys"].To; got != ciKey1+"\n"+ciKey2 {
			t.Errorf("sshkeys shown as %q", got)
		}
		cfg := c.config("vm", "pve1", 101)
		for k, want := range map[string]string{"sshkeys": ciKeysStored, "ciuser": "admin", "cipassword": "**********",
			"ipconfig0":  "ip=192.168.100.50/24,gw=192.168.100.1,ip6=2001:db8::50/64,gw6=2001:db8::1",
			"nameserver": "1.1.1.1 9.9.9.9", "searchdomain": "example.com", "ide0": "local-lvm:vm-101-cloudinit,media=cdrom"} {
			if cfg[k] != want {
				t.Errorf("config %s = %v, want %q", k, cfg[k], want)
			}
		}
	})

	t.Run("dump", func(t *testing.T) {
		var d struct {
			User, Network, Meta string
			Pending             []any
		}
		c.ok("pve_vm_cloudinit_dump", vm, &d)
		for _, want := range []string{"user: admin\n", "password: **********\n", "  - " + ciKey1 + "\n", "  - " + ciKey2 + "\n"} {
			if !strings.Contains(d.User, want) {
				t.Errorf("user-data lacks %q:\n%s", want, d.User)
			}
		}
		if strings.Contains(d.User, "$5$") || !strings.Contains(d.Network, "address: '192.168.100.50'") ||
			!strings.Contains(d.Network, "- '9.9.9.9'") || !strings.HasPrefix(d.Meta, "instance-id: ") || len(d.Pending) != 0 {
			t.Errorf("dump: %+v", d)
		}
		var one struct{ User, Network *string }
		c.ok("pve_vm_cloudinit_dump", with("type", "network"), &one)
		if one.User != nil || one.Network == nil {
			t.Errorf("type network: %+v", one)
		}
	})

	t.Run("pending", func(t *testing.T) {
		if p := ciPendingOf(t, c, "pve1", 101); len(p) != 1 || p[0] != (struct{ Key, Value, Pending string }{"ciuser", "admin", "ops"}) {
			t.Errorf("pending: %+v", p)
		}
		c.ok("pve_vm_cloudinit", with("ciuser", "admin"), nil)
	})

	t.Run("refused", func(t *testing.T) {
		before := len(cl.writes())
		for _, tc := range []struct {
			args map[string]any
			want []string
		}{
			{with("ipconfig", []any{m("ip", "192.168.100.300/24")}), []string{`"ipconfig[].ip"`, `got "192.168.100.300/24"`, "dhcp, or an IPv4 address"}},
			{with("ipconfig", []any{m("ip", "192.168.100.0/24")}), []string{"ipconfig[0].ip", "network's own"}},
			{with("ipconfig", []any{m("ip", "192.168.100.50/24", "gw", "10.0.0.1")}), []string{"ipconfig[0].gw", "outside 192.168.100.0/24"}},
			{with("ipconfig", []any{m("ip", "dhcp", "gw", "192.168.100.1")}), []string{"gateway specified together with DHCP"}},
			{with("ipconfig", []any{m("ip6", "auto", "gw6", "2001:db8::1")}), []string{"ipconfig[0].gw6", "static ip6"}},
			{with("ipconfig", []any{m("ip6", "2001:db8::zz/64")}), []string{"ipconfig[].ip6", "auto (SLAAC)"}},
			{with("sshkeys", []string{"not a key"}), []string{"sshkeys[0]", "key type"}},
			{with("sshkeys", []string{strings.ReplaceAll(ciKey1, " ", "%20")}), []string{"URL-encoded", "plain key"}},
			{with("ciuser", "ops", "delete", []string{"ciuser"}), []string{"also set by this call"}},
			{with("delete", []string{"nameserver"}), []string{"confirm: true"}},
			{with("citype", "cloudbase"), []string{`"citype"`}},
			{with(), []string{"nothing to change"}},
		} {
			c.fails("pve_vm_cloudinit", tc.args, tc.want...)
		}
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused calls wrote: %v", w[before:])
		}
	})

	t.Run("delete and running", func(t *testing.T) {
		var out ciResult
		c.ok("pve_vm_cloudinit", with("delete", []string{"nameserver", "cipassword"}, "confirm", true), &out)
		if out.Changed["cipassword"] != (struct{ From, To string }{"**********", ""}) || out.Changed["nameserver"].From != "1.1.1.1 9.9.9.9" {
			t.Errorf("delete: %+v", out.Changed)
		}
		cfg := c.config("vm", "pve1", 101)
		if _, ok := cfg["nameserver"]; ok || cfg["cipassword"] != nil {
			t.Errorf("still set: %v %v", cfg["nameserver"], cfg["cipassword"])
		}
		c.task("pve_vm_start", vm)
		c.ok("pve_vm_cloudinit", with("ipconfig", []any{m("ip", "dhcp")}), &out)
		if out.Status != "running" || !strings.Contains(out.Next, "holds ipconfig0 pending: reboot it (pve_vm_reboot)") || out.Changed["ipconfig0"].To != "ip=dhcp" ||
			out.Regenerated || strings.Join(out.Pending, ",") != "ipconfig0" {
			t.Errorf("running: %+v", out)
		}
		var d struct {
			Network string
			Pending []struct {
				Key  string
				Held bool `json:"heldForRestart"`
			}
			Note string
		}
		c.ok("pve_vm_cloudinit_dump", with("type", "network"), &d)
		if len(d.Pending) != 1 || d.Pending[0].Key != "ipconfig0" || !d.Pending[0].Held || !strings.Contains(d.Note, "holds ipconfig0 pending") {
			t.Errorf("dump of the running VM: %+v", d)
		}
		c.task("pve_vm_reboot", vm)
		d.Pending, d.Note = nil, ""
		c.ok("pve_vm_cloudinit_dump", with("type", "network"), &d)
		if !strings.Contains(d.Network, "- type: dhcp4") || len(d.Pending) != 0 {
			t.Errorf("after the reboot: %+v", d)
		}
	})
	if strings.Contains(c.transcript.String(), ciPassword) || strings.Contains(c.stderr.String(), ciPassword) {
		t.Error("cipassword appeared in a tool result or the server log")
	}
}

type provisionResult struct {
	VMID      int
	Node      string
	Linked    bool
	Steps     []struct{ Step, Status, Detail string }
	Addresses []struct {
		Iface string
		IPv4  []string
	}
	Source string
}

func (p provisionResult) stepsOK(t *testing.T, want ...string) {
	t.Helper()
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.Step+":"+s.Status)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("steps %v, want %v", got, want)
	}
}

// TestProvision provisions VMs from template 9000 over MCP.
func TestProvision(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})

	t.Run("template without a drive", func(t *testing.T) {
		before := len(cl.writes())
		c.fails("pve_vm_provision", m("node", "pve1", "template", 9000, "ciuser", "admin"), "VM 9000 has no cloud-init drive")
		c.fails("pve_vm_provision", m("node", "pve1", "template", 9000, "diskSize", "2G"), "shrinking disks is not supported")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused calls wrote: %v", w[before:])
		}
	})
	c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 9000, "extra", m("ide2", "local-lvm:cloudinit"), "confirm", true), nil)

	t.Run("provision", func(t *testing.T) {
		params := mcpParams("pve_vm_provision", m("node", "pve1", "template", 9000, "name", "web01", "ciuser", "admin", "cipassword", ciPassword,
			"sshkeys", []string{ciKey1}, "ipconfig", []any{m("ip", "192.168.100.60/24", "gw", "192.168.100.1")},
			"diskSize", "+5G", "cores", 4, "memory", 4096, "agent_timeout", 60))
		params.SetProgressToken("prov-1")
		out := callJSON[provisionResult](t, c, params)
		out.stepsOK(t, "id:ok", "clone:ok", "config:ok", "resize:ok", "start:ok", "agent:ok")
		if out.VMID != 104 || !out.Linked || out.Source != "guest agent" || len(out.Addresses) != 1 ||
			strings.Join(out.Addresses[0].IPv4, ",") != "192.168.100.60/24" {
			t.Errorf("result: %+v", out)
		}
		cfg := c.config("vm", "pve1", 104)
		for k, want := range map[string]any{"cores": float64(4), "memory": "4096", "name": "web01", "sshkeys": strings.SplitAfter(ciKeysStored, "%0A")[0],
			"ciuser": "admin", "ipconfig0": "ip=192.168.100.60/24,gw=192.168.100.1", "ide2": "local-lvm:vm-104-cloudinit,media=cdrom"} {
			if cfg[k] != want && !(k == "memory" && cfg[k] == float64(4096)) {
				t.Errorf("config %s = %#v, want %#v", k, cfg[k], want)
			}
		}
		if got := c.diskSize("vm", "pve1", 104, "scsi0"); got != "15G" {
			t.Errorf("disk: %v", cfg["scsi0"])
		}
		if st := c.status("vm", "pve1", 104); st != "running" {
			t.Errorf("status %s", st)
		}
		c.mu.Lock()
		got := append([]*mcp.ProgressNotificationParams(nil), c.progress...)
		c.mu.Unlock()
		if len(got) != 7 || got[0].Message != "step 1 of 6: choose the new VM's id" || got[6].Progress != 6 {
			for _, p := range got {
				t.Logf("progress %v/%v %q", p.Progress, p.Total, p.Message)
			}
			t.Errorf("%d progress notifications", len(got))
		}
		for i := 1; i < len(got); i++ {
			if got[i].Progress <= got[i-1].Progress || got[i].ProgressToken != "prov-1" {
				t.Errorf("progress %d: %v after %v", i, got[i].Progress, got[i-1].Progress)
			}
		}
	})

	t.Run("dhcp, full copy, no agent", func(t *testing.T) {
		var out provisionResult
		c.ok("pve_vm_provision", m("node", "pve1", "template", 9000, "newid", 700, "full", true, "ipconfig", []any{m("ip", "dhcp")}), &out)
		out.stepsOK(t, "id:ok", "clone:ok", "config:ok", "start:ok", "agent:ok")
		if out.VMID != 700 || out.Linked || len(out.Addresses) != 1 || len(out.Addresses[0].IPv4) != 1 {
			t.Errorf("dhcp: %+v", out)
		}
		c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 9000, "extra", m("delete", "agent"), "confirm", true), nil)
		c.ok("pve_vm_provision", m("node", "pve1", "template", 9000, "newid", 701, "ipconfig", []any{m("ip", "192.168.100.71/24")}), &out)
		out.stepsOK(t, "id:ok", "clone:ok", "config:ok", "start:ok", "agent:skipped")
		if !strings.HasPrefix(out.Source, "cloud-init ipconfig") || len(out.Addresses) != 1 || out.Addresses[0].IPv4[0] != "192.168.100.71/24" {
			t.Errorf("no agent: %+v", out)
		}
		c.fails("pve_vm_provision", m("node", "pve1", "template", 9000, "newid", 100), "VM 100 already exists")
	})

	t.Run("failing step", func(t *testing.T) {
		if _, err := cl.sim.AddFault(pvesim.Fault{Kind: pvesim.FaultTaskFail, TaskType: "qmstart", VMID: 702, Message: "start failed: QEMU exited with code 1"}); err != nil {
			t.Fatal(err)
		}
		text := c.fails("pve_vm_provision", m("node", "pve1", "template", 9000, "newid", 702, "cores", 2),
			"step start failed", "start failed: QEMU exited with code 1", "Done: id, clone, config", "VM 702 is on pve1, stopped", "nothing was deleted", "pve_vm_start 702")
		if _, ok := c.findGuest(702); !ok {
			t.Errorf("the half-made VM is gone: %s", text)
		}
	})
	if strings.Contains(c.transcript.String(), ciPassword) || strings.Contains(c.stderr.String(), ciPassword) {
		t.Error("cipassword appeared in a tool result or the server log")
	}
}

// callJSON runs a call with its own params (a progress token) and decodes its text.
func callJSON[T any](t *testing.T, c *client, params *mcp.CallToolParams) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := c.session.CallTool(ctx, params)
	var out T
	if err != nil {
		t.Fatalf("%s: %v", params.Name, err)
	}
	text := ""
	for _, ct := range res.Content {
		if tc, ok := ct.(*mcp.TextContent); ok {
			text += tc.Text
		}
	}
	c.mu.Lock()
	c.transcript.WriteString(text + "\n")
	c.mu.Unlock()
	if res.IsError {
		t.Fatalf("%s failed: %s", params.Name, text)
	}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%s: decode %q: %v", params.Name, text, err)
	}
	return out
}

// ciPendingOf changes ciuser behind the drive's back and reads what the dump
// says is not in the image yet.
func ciPendingOf(t *testing.T, c *client, node string, vmid int) []struct{ Key, Value, Pending string } {
	t.Helper()
	c.ok("pve_vm_set_config", m("node", node, "vmid", vmid, "extra", m("ciuser", "ops")), nil)
	var d struct {
		Pending []struct{ Key, Value, Pending string }
	}
	c.ok("pve_vm_cloudinit_dump", m("node", node, "vmid", vmid, "type", "user"), &d)
	return d.Pending
}

// PVE 7.4 answers the pending values as an object, resizes without a task
// and has the regenerate call too.
func TestCloudinitOnPVE7(t *testing.T) {
	t.Parallel()
	cl := newClusterSchema(t, 0.02, "7.4")
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
	c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 9000, "extra", m("ide2", "local-lvm:cloudinit"), "confirm", true), nil)
	var out ciResult
	c.ok("pve_vm_cloudinit", m("node", "pve1", "vmid", 9000, "ciuser", "admin", "sshkeys", []string{ciKey1}), &out)
	if !out.Regenerated || out.Status != "template" {
		t.Errorf("7.4 set: %+v", out)
	}
	if p := ciPendingOf(t, c, "pve1", 9000); len(p) != 1 || p[0] != (struct{ Key, Value, Pending string }{"ciuser", "admin", "ops"}) {
		t.Errorf("7.4 pending: %+v", p)
	}
	var prov provisionResult
	c.ok("pve_vm_provision", m("node", "pve1", "template", 9000, "diskSize", "+1G", "ipconfig", []any{m("ip", "192.168.100.80/24")}), &prov)
	prov.stepsOK(t, "id:ok", "clone:ok", "config:ok", "resize:ok", "start:ok", "agent:ok")
	if len(prov.Addresses) != 1 || prov.Addresses[0].IPv4[0] != "192.168.100.80/24" {
		t.Errorf("7.4 provision: %+v", prov)
	}
	if got := c.config("vm", "pve1", prov.VMID)["sshkeys"]; got != strings.SplitAfter(ciKeysStored, "%0A")[0] {
		t.Errorf("7.4 clone sshkeys: %v", got)
	}
}

// The README's walk-through, from a new VM with a cloud-init drive to a
// provisioned clone (a blank disk standing in for the imported image).
func TestProvisionWalkthrough(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0.02).connect(t, clientOpts{env: map[string]string{
		"PVE_TOOLSETS": "cluster,nodes,tasks,qemu,lxc,snapshots,storage,network,backup,cloudinit,guestops"}})
	c.task("pve_vm_create", m("node", "pve1", "vmid", 9001, "name", "debian-12-cloud", "memory", 2048, "net", m("bridge", "vmbr0"),
		"extra", m("scsi0", "local-lvm:4", "ide0", "local-lvm:cloudinit", "boot", "order=scsi0", "agent", "1", "serial0", "socket", "vga", "serial0"), "confirm", true))
	c.ok("pve_vm_cloudinit", m("node", "pve1", "vmid", 9001, "ciuser", "admin", "sshkeys", []string{ciKey1}, "ipconfig", []any{m("ip", "dhcp")}), nil)
	c.task("pve_vm_template", m("node", "pve1", "vmid", 9001, "confirm", true))
	var out provisionResult
	c.ok("pve_vm_provision", m("node", "pve1", "template", 9001, "name", "web01", "ipconfig", []any{m("ip", "192.168.1.50/24", "gw", "192.168.1.1")},
		"diskSize", "+20G", "cores", 4, "memory", 4096), &out)
	out.stepsOK(t, "id:ok", "clone:ok", "config:ok", "resize:ok", "start:ok", "agent:ok")
	cfg := c.config("vm", "pve1", out.VMID)
	if cfg["ciuser"] != "admin" || cfg["ipconfig0"] != "ip=192.168.1.50/24,gw=192.168.1.1" || c.diskSize("vm", "pve1", out.VMID, "scsi0") != "24G" ||
		len(out.Addresses) != 1 || out.Addresses[0].IPv4[0] != "192.168.1.50/24" {
		t.Errorf("provisioned: %+v, config %v", out, cfg)
	}
}
