package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// agentEnv turns on every toolset and the guest command and file allowlists.
var agentEnv = map[string]string{
	"PVE_TOOLSETS": "all",
	"PVE_AGENT_EXEC_ALLOWLIST": "ro:/usr/bin/uname ...; ro:/usr/bin/seq *; ro:/bin/sh -c *; ro:/usr/bin/sleep *; " +
		"/usr/bin/touch /tmp/*",
	"PVE_AGENT_FILE_ALLOWLIST": "ro:/etc/**; /tmp/**",
}

// simFile reads a guest file through the simulator's own API, not the server.
func (c *cluster) simFile(t *testing.T, vmid int, file string) (string, bool) {
	t.Helper()
	status, raw, _ := c.simRaw(t, "GET", "/nodes/pve1/qemu/"+strconv.Itoa(vmid)+"/agent/file-read", url.Values{"file": {file}})
	if status != 200 {
		return "", false
	}
	var data struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	return data.Content, true
}

func (a *askLog) set(answer string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answer, a.msgs = answer, nil
}

type agentPart struct {
	Error string `json:"error"`
}

type ipOut struct {
	Source     string `json:"source"`
	Why        string `json:"why"`
	Interfaces []struct {
		Name    string   `json:"name"`
		MAC     string   `json:"mac"`
		IPv4    []string `json:"ipv4"`
		IPv6    []string `json:"ipv6"`
		Gateway string   `json:"gateway"`
		Config  string   `json:"config"`
	} `json:"interfaces"`
}

type execOut struct {
	PID       int     `json:"pid"`
	Exited    bool    `json:"exited"`
	ExitCode  *int    `json:"exitCode"`
	Signal    *int    `json:"signal"`
	Stdout    string  `json:"stdout"`
	Stderr    string  `json:"stderr"`
	StdoutCut int     `json:"stdoutCutBytes"`
	Note      string  `json:"note"`
	Verified  *bool   `json:"verified"`
	Bytes     int     `json:"bytes"`
	Content   *string `json:"content"`
}

// TestAgentTools calls the guest agent tools over MCP and checks what the
// simulator holds after each, with the agent's error cases.
func TestAgentTools(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	ask := &askLog{answer: "decline"}
	c := cl.connect(t, clientOpts{env: agentEnv, elicit: ask.handler})
	vm100 := m("node", "pve1", "vmid", 100)

	t.Run("info", func(t *testing.T) {
		var info struct {
			Agent struct {
				Running bool   `json:"running"`
				Version string `json:"version"`
				agentPart
			} `json:"agent"`
			OS       struct{ Name, Kernel string }    `json:"os"`
			HostName struct{ Name string }            `json:"hostname"`
			FS       struct{ Items []map[string]any } `json:"filesystems"`
			Users    struct{ Items []map[string]any } `json:"users"`
		}
		c.ok("pve_vm_agent_info", vm100, &info)
		if !info.Agent.Running || info.Agent.Version == "" || info.OS.Name != "Debian GNU/Linux 12 (bookworm)" || info.HostName.Name != "web01" ||
			len(info.FS.Items) == 0 || info.FS.Items[0]["mountpoint"] != "/" || info.FS.Items[0]["totalBytes"] == nil ||
			len(info.Users.Items) != 1 || info.Users.Items[0]["user"] != "root" {
			t.Errorf("info of VM 100: %+v", info)
		}
		// no agent configured: every part says so, and how to enable it
		var none map[string]json.RawMessage
		c.ok("pve_vm_agent_info", m("node", "pve2", "vmid", 102), &none)
		for _, part := range []string{"agent", "os", "hostname", "filesystems", "users"} {
			var p agentPart
			_ = json.Unmarshal(none[part], &p)
			want := "No QEMU guest agent configured"
			if part != "agent" {
				want = "see agent.error"
			}
			if !strings.Contains(p.Error, want) || part == "agent" && !strings.Contains(p.Error, `"agent": "enabled=1"`) {
				t.Errorf("VM 102 %s: %q", part, p.Error)
			}
		}
		// no such VM on that node: the tool's error, with Proxmox's reason
		c.fails("pve_vm_agent_info", m("node", "pve2", "vmid", 100), "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist", "pve_cluster_resources")
		// agent configured, VM stopped
		c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 101, "extra", m("agent", "enabled=1", "ipconfig0", "ip=10.0.0.5/24,gw=10.0.0.1")), nil)
		text := c.ok("pve_vm_agent_info", m("node", "pve1", "vmid", 101), nil)
		if !strings.Contains(text, "VM 101 is not running") || !strings.Contains(text, "pve_vm_start") {
			t.Errorf("stopped VM: %s", text)
		}
		// the VM paused: the agent does not answer
		c.task("pve_vm_suspend", vm100)
		text = c.ok("pve_vm_agent_info", vm100, nil)
		c.task("pve_vm_resume", vm100)
		if !strings.Contains(text, "QEMU guest agent is not running") || !strings.Contains(text, "qemu-guest-agent") {
			t.Errorf("paused VM: %s", text)
		}
	})

	t.Run("addresses", func(t *testing.T) {
		var ip ipOut
		c.ok("pve_vm_ip_addresses", vm100, &ip)
		net0, _ := c.config("vm", "pve1", 100)["net0"].(string)
		if ip.Source != "agent" || len(ip.Interfaces) != 1 || ip.Interfaces[0].Name != "ens18" || len(ip.Interfaces[0].IPv4) != 1 ||
			!strings.Contains(strings.ToLower(net0), ip.Interfaces[0].MAC) || ip.Interfaces[0].MAC == "" {
			t.Errorf("VM 100 addresses: %+v (net0 %s)", ip, net0)
		}
		c.ok("pve_vm_ip_addresses", m("node", "pve1", "vmid", 100, "loopback", true), &ip)
		if len(ip.Interfaces) != 2 || ip.Interfaces[0].Name != "lo" {
			t.Errorf("with loopback: %+v", ip)
		}
		// without the agent: the config, saying why
		c.ok("pve_vm_ip_addresses", m("node", "pve2", "vmid", 102), &ip)
		if ip.Source != "config" || !strings.Contains(ip.Why, "No QEMU guest agent configured") || len(ip.Interfaces) != 1 || ip.Interfaces[0].MAC == "" {
			t.Errorf("VM 102 addresses: %+v", ip)
		}
		c.ok("pve_vm_ip_addresses", m("node", "pve1", "vmid", 101), &ip)
		if ip.Source != "config" || !strings.Contains(ip.Why, "VM 101 is not running") || len(ip.Interfaces) != 1 ||
			strings.Join(ip.Interfaces[0].IPv4, ",") != "10.0.0.5/24" || ip.Interfaces[0].Gateway != "10.0.0.1" {
			t.Errorf("VM 101 addresses: %+v", ip)
		}
		c.ok("pve_lxc_ip_addresses", m("node", "pve1", "vmid", 200), &ip)
		if ip.Source != "interfaces" || len(ip.Interfaces) != 1 || ip.Interfaces[0].Name != "eth0" || len(ip.Interfaces[0].IPv4) != 1 {
			t.Errorf("CT 200 addresses: %+v", ip)
		}
		c.ok("pve_lxc_ip_addresses", m("node", "pve2", "vmid", 201), &ip)
		if ip.Source != "config" || !strings.Contains(ip.Why, "not running") || len(ip.Interfaces) != 1 || ip.Interfaces[0].Name != "eth0" {
			t.Errorf("CT 201 addresses: %+v", ip)
		}
	})

	t.Run("exec", func(t *testing.T) {
		ask.set("decline")
		var out execOut
		c.ok("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "command", []string{"/usr/bin/uname", "-n"}), &out)
		if !out.Exited || out.ExitCode == nil || *out.ExitCode != 0 || out.Stdout != "web01\n" || len(ask.asked()) != 0 {
			t.Errorf("uname -n: %+v, asked %q", out, ask.asked())
		}
		out = execOut{}
		c.ok("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "command", []string{"/bin/sh", "-c", "kill -9 $$"}), &out)
		if !out.Exited || out.ExitCode != nil || out.Signal == nil || *out.Signal != 9 || !strings.Contains(out.Note, "SIGKILL") {
			t.Errorf("killed: %+v", out)
		}
		// our bound: the first 32 KiB, with the bytes cut counted
		var all strings.Builder
		for i := 1; i <= 20000; i++ {
			all.WriteString(strconv.Itoa(i) + "\n")
		}
		out = execOut{}
		c.ok("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "command", []string{"/usr/bin/seq", "20000"}), &out)
		if len(out.Stdout) != 32<<10 || out.StdoutCut != all.Len()-32<<10 || !strings.HasPrefix(all.String(), out.Stdout) {
			t.Errorf("seq 20000: %d bytes kept, %d cut, want %d cut", len(out.Stdout), out.StdoutCut, all.Len()-32<<10)
		}
		// still running at the timeout: the pid, and collecting it later
		out = execOut{}
		c.ok("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "command", []string{"/usr/bin/sleep", "60"}, "timeout", 1), &out)
		if out.Exited || out.PID == 0 || !strings.Contains(out.Note, "pid: "+strconv.Itoa(out.PID)) {
			t.Errorf("timed out: %+v", out)
		}
		pid := out.PID
		out = execOut{}
		c.ok("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "pid", pid, "timeout", 20), &out)
		if !out.Exited || out.ExitCode == nil || *out.ExitCode != 0 {
			t.Errorf("collected: %+v", out)
		}

		// refusals reach nothing
		cl.sim.ResetRequests()
		c.fails("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "command", []string{"/usr/bin/rm", "-rf", "/tmp"}),
			"not in PVE_AGENT_EXEC_ALLOWLIST", "ro:/usr/bin/uname ...")
		c.fails("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "command", []string{"uname"}), `"command"`, "absolute path")
		// not read-only: confirm, then the user's yes
		touch := m("node", "pve1", "vmid", 100, "command", []string{"/usr/bin/touch", "/tmp/made"})
		c.fails("pve_vm_agent_exec", touch, "confirm: true", "not marked read-only")
		touch["confirm"] = true
		c.fails("pve_vm_agent_exec", touch, "declined")
		if w := cl.writes(); len(w) != 0 {
			t.Errorf("refused or declined commands reached Proxmox: %v", w)
		}
		if _, ok := cl.simFile(t, 100, "/tmp/made"); ok {
			t.Error("/tmp/made exists after a declined touch")
		}
		if q := ask.asked(); len(q) != 1 || !strings.Contains(q[0], "/usr/bin/touch /tmp/made") {
			t.Errorf("asked: %q", q)
		}
		ask.set("accept")
		out = execOut{}
		c.ok("pve_vm_agent_exec", touch, &out)
		if _, ok := cl.simFile(t, 100, "/tmp/made"); !ok || out.ExitCode == nil || *out.ExitCode != 0 {
			t.Errorf("/tmp/made missing after an accepted touch: %+v", out)
		}
		c.fails("pve_vm_agent_exec", m("node", "pve1", "vmid", 101, "command", []string{"/usr/bin/uname"}), "VM 101 is not running")
		c.fails("pve_vm_agent_exec", m("node", "pve2", "vmid", 102, "command", []string{"/usr/bin/uname"}), "No QEMU guest agent configured")
	})

	t.Run("files", func(t *testing.T) {
		ask.set("accept")
		var out execOut
		c.ok("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/etc/hostname"), &out)
		if out.Content == nil || *out.Content != "web01\n" || out.Bytes != 6 {
			t.Errorf("read /etc/hostname: %+v", out)
		}
		out = execOut{}
		text := c.ok("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/etc/hostname", "maxBytes", 3), &out)
		if *out.Content != "web" || !strings.Contains(text, `"truncated":true`) {
			t.Errorf("read 3 bytes: %s", text)
		}
		c.fails("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/root/.ssh/id_rsa"), "PVE_AGENT_FILE_ALLOWLIST")
		c.fails("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/etc/../root/x"), `"file"`)
		c.fails("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/etc/nope"), "No such file or directory")

		write := m("node", "pve1", "vmid", 100, "file", "/tmp/motd", "content", "hello from mcp\n", "verify", true)
		c.fails("pve_vm_agent_file_write", write, "confirm: true")
		write["confirm"] = true
		out = execOut{}
		c.ok("pve_vm_agent_file_write", write, &out)
		if got, ok := cl.simFile(t, 100, "/tmp/motd"); !ok || got != "hello from mcp\n" || out.Verified == nil || !*out.Verified || out.Bytes != 15 {
			t.Errorf("written: %q %v, %+v", got, ok, out)
		}
		c.ok("pve_vm_agent_file_write", m("node", "pve1", "vmid", 100, "file", "/tmp/bin", "confirm", true,
			"content", base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}), "base64", true), &out)
		out = execOut{}
		c.ok("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/tmp/bin"), &out)
		if *out.Content != "AAEC/w==" || !strings.Contains(c.ok("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/tmp/bin"), nil), `"encoding":"base64"`) {
			t.Errorf("binary read back: %+v", out)
		}
		cl.sim.ResetRequests()
		c.fails("pve_vm_agent_file_write", m("node", "pve1", "vmid", 100, "file", "/etc/hostname", "content", "x", "confirm", true), "PVE_AGENT_FILE_ALLOWLIST")
		ask.set("decline")
		c.fails("pve_vm_agent_file_write", m("node", "pve1", "vmid", 100, "file", "/tmp/motd", "content", "changed", "confirm", true), "declined")
		if w := cl.writes(); len(w) != 0 {
			t.Errorf("refused or declined writes reached Proxmox: %v", w)
		}
		if got, _ := cl.simFile(t, 100, "/tmp/motd"); got != "hello from mcp\n" {
			t.Errorf("after a declined write: %q", got)
		}
	})

	t.Run("off", func(t *testing.T) {
		plain := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
		plain.fails("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "command", []string{"/usr/bin/uname"}),
			"PVE_AGENT_EXEC_ALLOWLIST", "absolute path", "ro:")
		plain.fails("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/etc/hostname"), "PVE_AGENT_FILE_ALLOWLIST")
	})
}

// TestAgentOn74: PVE 7.4 has no container interfaces call (the config
// answers, saying so), takes exec's command as a string-alist and reads
// files whole, without count (the bound is the server's).
func TestAgentOn74(t *testing.T) {
	t.Parallel()
	cl := newClusterSchema(t, 0.02, "7.4")
	c := cl.connect(t, clientOpts{env: agentEnv})
	var out execOut
	c.ok("pve_vm_agent_exec", m("node", "pve1", "vmid", 100, "command", []string{"/usr/bin/uname", "-n", "-r"}), &out)
	if !strings.HasPrefix(out.Stdout, "web01 ") || out.ExitCode == nil || *out.ExitCode != 0 {
		t.Errorf("exec on 7.4: %+v", out)
	}
	text := c.ok("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/etc/hostname", "maxBytes", 3), &out)
	if out.Content == nil || *out.Content != "web" || !strings.Contains(text, `"truncated":true`) {
		t.Errorf("bounded read on 7.4: %s", text)
	}
	c.fails("pve_vm_agent_file_read", m("node", "pve1", "vmid", 100, "file", "/etc/hostname", "offset", 2), `"offset"`, "PVE 9.1")
	var ip ipOut
	c.ok("pve_lxc_ip_addresses", m("node", "pve1", "vmid", 200), &ip)
	if ip.Source != "config" || !strings.Contains(ip.Why, "PVE 8") || len(ip.Interfaces) != 1 || ip.Interfaces[0].Name != "eth0" {
		t.Errorf("CT 200 on 7.4: %+v", ip)
	}
}

// TestAgentTemplateAddresses: a template never runs, so its addresses come
// from the config with that reason, not "start it".
func TestAgentTemplateAddresses(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
	c.ok("pve_lxc_template", m("node", "pve2", "vmid", 201, "confirm", true), nil)
	for _, g := range []struct {
		tool, node string
		vmid       int
		want       string
	}{{"pve_lxc_ip_addresses", "pve2", 201, "CT 201 is a template"}, {"pve_vm_ip_addresses", "pve1", 9000, "VM 9000 is a template"}} {
		var ip ipOut
		c.ok(g.tool, m("node", g.node, "vmid", g.vmid), &ip)
		if ip.Source != "config" || !strings.Contains(ip.Why, g.want) || !strings.Contains(ip.Why, "clone it") || strings.Contains(ip.Why, "start it") {
			t.Errorf("%s %d: %+v", g.tool, g.vmid, ip)
		}
	}
}
