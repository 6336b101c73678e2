package e2e

import (
	"maps"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Class 7: downloads.
func atkDownloadCases(dc, ha *client, declined, accepted *askLog) []attackCase {
	dl := func(url string, kv ...any) map[string]any {
		a := m("node", "pve1", "storage", "local", "url", url, "filename", "x.iso")
		maps.Copy(a, m(kv...))
		return a
	}
	bad := func(name, url string, want ...string) attackCase {
		return attackCase{name: name, tool: "pve_download_iso", args: dl(url), want: append([]string{"url"}, want...)}
	}
	existing := dl("https://"+pubIP+"/"+isoDebian, "filename", isoDebian)
	confirmed := maps.Clone(existing)
	confirmed["confirm"] = true
	return []attackCase{
		{name: "existing-iso-without-confirm", tool: "pve_download_iso", args: existing, want: []string{"confirm", isoDebian}, reads: true},
		{name: "existing-iso-without-confirm-pve2", tool: "pve_download_iso", args: dl("https://"+pubIP+"/x.iso", "node", "pve2", "filename", "ubuntu-24.04.1-live-server-amd64.iso"),
			want: []string{"confirm", "ubuntu-24.04.1-live-server-amd64.iso"}, reads: true},
		{name: "existing-template-without-confirm", tool: "pve_download_iso", args: dl("https://"+pubIP+"/t.tar.zst", "content", "vztmpl", "filename", "debian-12-standard_12.7-1_amd64.tar.zst"),
			want: []string{"confirm", "debian-12-standard_12.7-1_amd64.tar.zst"}, reads: true},
		{name: "existing-iso-declined", tool: "pve_download_iso", args: confirmed, on: dc, want: []string{"declined", isoDebian}, reads: true,
			log: declined, asked: []string{isoDebian}},

		bad("fullwidth-digits", "http://１２７．０．０．１/x.iso", "127.0.0.1"),
		bad("ideographic-dots", "http://127。0。0。1/x.iso", "127.0.0.1"),
		bad("ipv4-mapped-ipv6", "http://[::ffff:127.0.0.1]/x.iso", "::ffff:127.0.0.1"),
		bad("ipv4-mapped-ipv6-hex", "http://[::ffff:7f00:1]/x.iso", "::ffff:7f00:1"),
		bad("ipv6-loopback", "http://[::1]/x.iso", "::1"),
		bad("ipv6-unique-local", "http://[fd00::1]/x.iso", "fd00::1"),
		bad("ipv6-zone", "http://[fe80::1%25eth0]/x.iso", "zone"),
		bad("aws-ipv6-metadata", "http://[fd00:ec2::254]/latest/x.iso", "metadata"),
		bad("nat64-metadata", "http://[64:ff9b::a9fe:a9fe]/x.iso", "64:ff9b::a9fe:a9fe"),
		bad("6to4-loopback", "http://[2002:7f00:1::]/x.iso", "2002:7f00:1::"),
		bad("metadata-ip", "http://169.254.169.254/x.iso", "metadata"),
		bad("metadata-name-gcp", "http://metadata.google.internal/x.iso", "metadata"),
		bad("metadata-single-label", "http://metadata/x.iso", "metadata"),
		bad("localhost", "http://localhost/x.iso", "localhost"),
		bad("localhost-trailing-dot", "http://localhost./x.iso", "localhost"),
		bad("localhost-subdomain", "http://a.localhost/x.iso", "localhost"),
		bad("idn-circled-localhost", "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/x.iso", "localhost"),
		bad("idn-fullwidth-localhost", "http://ｌｏｃａｌｈｏｓｔ/x.iso", "localhost"),
		bad("decimal-ip", "http://2130706433/x.iso", "2130706433"),
		bad("hex-ip", "http://0x7f000001/x.iso", "0x7f000001"),
		bad("octal-ip", "http://0177.0.0.1/x.iso", "0177.0.0.1"),
		bad("short-ip", "http://127.1/x.iso", "127.1"),
		bad("private-10", "http://10.0.0.1/x.iso", "10.0.0.1"),
		bad("node-address", "https://192.168.100.11:8006/x.iso", "192.168.100.11"),
		bad("cgnat", "http://100.64.0.1/x.iso", "100.64.0.1"),
		bad("this-network", "http://0.0.0.0/x.iso", "0.0.0.0"),
		bad("dot-local", "http://nas.local/x.iso", "nas.local"),
		bad("dot-internal", "http://mirror.internal/x.iso", "mirror.internal"),
		bad("home-arpa", "http://nas.home.arpa/x.iso", "nas.home.arpa"),
		bad("file-scheme", "file:///etc/shadow", "file:///etc/shadow"),
		bad("ftp-scheme", "ftp://"+pubIP+"/x.iso", "ftp://"),
		bad("gopher-scheme", "gopher://"+pubIP+"/x.iso", "gopher://"),
		bad("data-scheme", "data:text/plain,x", "data:"),
		bad("scheme-relative", "//"+pubIP+"/x.iso"),
		{name: "userinfo", tool: "pve_download_iso", args: dl("http://user:s3cr3t-pw@" + pubIP + "/x.iso"), want: []string{"url", "credentials"}, hide: []string{"s3cr3t-pw"}},
		bad("userinfo-host-confusion", "http://"+pubIP+"@127.0.0.1/x.iso", "credentials"),
		bad("userinfo-empty", "http://@"+pubIP+"/x.iso", "credentials"),
		bad("backslash-host", "http://"+pubIP+"\\@127.0.0.1/x.iso"),
		bad("port-zero", "http://"+pubIP+":0/x.iso", "port"),
		{name: "nip-io-name", tool: "pve_download_iso", args: dl("http://169.254.169.254.nip.io/x.iso"),
			skip: "a public name: refused only if it resolves to an internal address here, which depends on this host's DNS"},
		{name: "filename-traversal", tool: "pve_download_iso", args: dl("https://"+pubIP+"/x.iso", "filename", "../x.iso"), want: []string{"filename"}},
		{name: "filename-wrong-extension", tool: "pve_download_iso", args: dl("https://"+pubIP+"/x.iso", "filename", "x.sh"), want: []string{"filename"}},
		{name: "forbidden-node", tool: "pve_download_iso", args: dl("https://"+pubIP+"/x.iso", "node", "pve3"), want: []string{"node", "PVE_NODE_ALLOWLIST"}},

		// Positive controls.
		{name: "ok-new-iso", tool: "pve_download_iso", args: dl("https://"+pubIP+"/attack-new.iso", "filename", "attack-new.iso", "async", true), ok: true},
		{name: "ok-ipv6-global", tool: "pve_download_iso", args: dl("https://[2606:4700:4700::1111]/a.iso", "filename", "attack-v6.iso", "async", true), ok: true},
		{name: "ok-existing-iso-accepted", tool: "pve_download_iso", args: func() map[string]any {
			a := maps.Clone(confirmed)
			a["async"] = true
			return a
		}(), on: ha, ok: true, log: accepted, asked: []string{isoDebian}},
	}
}

// Class 8: an answer counts only when it answers a question this server
// asked, in this call. Each raw session has its multi-round-trip middleware
// off, so the test sees the input requests and sends the answers itself.
func atkConsentCases(t *testing.T, r *attackRun, cl *cluster, env, hostEnv map[string]string) {
	const class = "8-consent"
	newLog, oldLog, hostLog := &askLog{answer: "accept"}, &askLog{answer: "decline"}, &askLog{answer: "accept"}
	raw := cl.connectRaw(t, env, "", newLog)
	old := cl.connectRaw(t, env, "2025-06-18", oldLog)
	host := cl.connectRaw(t, hostEnv, "", hostLog)
	for _, s := range []*rawSession{raw, old, host} {
		s.call(t, &mcp.CallToolParams{Name: "pve_version"})
	}
	accept := mcp.InputResponseMap{"confirm": &mcp.ElicitResult{Action: "accept", Content: map[string]any{}}}
	decline := mcp.InputResponseMap{"confirm": &mcp.ElicitResult{Action: "decline"}}
	stop := func() map[string]any { return m("node", "pve1", "vmid", 100, "confirm", true) }
	hostSet := m("node", "pve1", "vmid", 100, "confirm", true, "extra", m("args", "-no-reboot"))

	// asksAgain: the server answers with its own question and sends nothing.
	asksAgain := func(t *testing.T, s *rawSession, p *mcp.CallToolParams, reads bool) *mcp.CallToolResult {
		t.Helper()
		s.log.reset()
		cl.sim.ResetRequests()
		res := s.call(t, p)
		reqs := cl.sim.Requests()
		if res.IsError || !res.NeedsInput() || res.InputRequests["confirm"] == nil || res.RequestState == "" {
			t.Errorf("%s: want an input request for confirm, got isError=%v needsInput=%v requests=%v: %s",
				p.Name, res.IsError, res.NeedsInput(), res.InputRequests, atkResultText(res))
		}
		if w := atkWritesIn(reqs); len(w) > 0 {
			t.Errorf("%s: wrote to Proxmox before the user answered: %v", p.Name, w)
		} else if !reads && len(reqs) > 0 {
			t.Errorf("%s: sent %v before the user answered", p.Name, atkRequestLines(reqs))
		}
		if a := s.log.asked(); len(a) > 0 {
			t.Errorf("%s: the server elicited %q itself; want an input request in the result", p.Name, a)
		}
		return res
	}
	// state is a request state the server issued for p.
	state := func(t *testing.T, s *rawSession, p *mcp.CallToolParams) string {
		t.Helper()
		return asksAgain(t, s, &mcp.CallToolParams{Name: p.Name, Arguments: p.Arguments}, true).RequestState
	}

	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"accept-with-first-call", func(t *testing.T) {
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop(), InputResponses: accept}, false)
		}},
		{"accept-with-forged-state", func(t *testing.T) {
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop(), InputResponses: accept,
				RequestState: "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, false)
		}},
		{"accept-with-garbage-state", func(t *testing.T) {
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop(), InputResponses: accept, RequestState: "yes"}, false)
		}},
		{"accept-under-another-key", func(t *testing.T) {
			p := &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop()}
			s := state(t, raw, p)
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop(), RequestState: s,
				InputResponses: mcp.InputResponseMap{"Confirm": &mcp.ElicitResult{Action: "accept"}}}, false)
		}},
		{"state-of-another-tool", func(t *testing.T) {
			s := state(t, raw, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop()})
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_vm_reset", Arguments: stop(), InputResponses: accept, RequestState: s}, false)
		}},
		{"state-of-other-arguments", func(t *testing.T) {
			s := state(t, raw, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop()})
			a := stop()
			a["async"] = true
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: a, InputResponses: accept, RequestState: s}, false)
		}},
		{"state-of-another-guest", func(t *testing.T) {
			s := state(t, raw, &mcp.CallToolParams{Name: "pve_lxc_stop", Arguments: m("node", "pve1", "vmid", 200, "confirm", true)})
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_lxc_stop", Arguments: m("node", "pve1", "vmid", 250, "confirm", true),
				InputResponses: accept, RequestState: s}, false)
		}},
		{"state-of-another-session", func(t *testing.T) {
			s := state(t, host, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop()})
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop(), InputResponses: accept, RequestState: s}, false)
		}},
		{"host-key-accept-with-first-call", func(t *testing.T) {
			asksAgain(t, host, &mcp.CallToolParams{Name: "pve_vm_set_config", Arguments: hostSet, InputResponses: accept}, false)
		}},
		{"replace-iso-accept-with-first-call", func(t *testing.T) {
			asksAgain(t, raw, &mcp.CallToolParams{Name: "pve_download_iso", Arguments: m("node", "pve1", "storage", "local",
				"url", "https://"+pubIP+"/"+isoDebian, "filename", isoDebian, "confirm", true), InputResponses: accept}, true)
		}},
		{"old-protocol-accept-with-first-call", func(t *testing.T) {
			// The server elicits for older clients itself; the user's no stands.
			oldLog.reset()
			cl.sim.ResetRequests()
			res := old.call(t, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop(), InputResponses: accept})
			if !res.IsError || !strings.Contains(atkResultText(res), "declined") {
				t.Errorf("want the user's no, got isError=%v: %s", res.IsError, atkResultText(res))
			}
			if len(oldLog.asked()) != 1 {
				t.Errorf("the user was asked %q, want once", oldLog.asked())
			}
			if r := cl.sim.Requests(); len(r) > 0 {
				t.Errorf("sent %v", atkRequestLines(r))
			}
		}},
		{"declined-answer", func(t *testing.T) {
			p := &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop()}
			s := state(t, raw, p)
			cl.sim.ResetRequests()
			res := raw.call(t, &mcp.CallToolParams{Name: "pve_vm_stop", Arguments: stop(), InputResponses: decline, RequestState: s})
			if !res.IsError || !strings.Contains(atkResultText(res), "declined") {
				t.Errorf("want a refusal naming the user's no, got isError=%v: %s", res.IsError, atkResultText(res))
			}
			if r := cl.sim.Requests(); len(r) > 0 {
				t.Errorf("sent %v", atkRequestLines(r))
			}
		}},
		{"ok-answer-then-replay", func(t *testing.T) {
			// Positive control: the answer to the server's own question is
			// taken, once; the same state again is asked anew.
			p := &mcp.CallToolParams{Name: "pve_lxc_stop", Arguments: m("node", "pve1", "vmid", 200, "confirm", true)}
			s := state(t, raw, p)
			cl.sim.ResetRequests()
			res := raw.call(t, &mcp.CallToolParams{Name: p.Name, Arguments: p.Arguments, InputResponses: accept, RequestState: s})
			if res.IsError || res.NeedsInput() {
				t.Fatalf("the answer to the server's question was not taken: needsInput=%v %s", res.NeedsInput(), atkResultText(res))
			}
			if w := atkWritesIn(cl.sim.Requests()); len(w) == 0 {
				t.Error("accepted, but nothing was sent")
			}
			asksAgain(t, raw, &mcp.CallToolParams{Name: p.Name, Arguments: p.Arguments, InputResponses: accept, RequestState: s}, false)
		}},
	}
	r.order = append(r.order, class)
	r.counts[class] = len(cases)
	t.Run(class, func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, tc.run)
		}
	})
}

// Class 9: names and ids that would reach other paths, nodes or guests.
func atkIdentifierCases(fx attackFx) []attackCase {
	vm := func(node string, vmid any) map[string]any { return m("node", node, "vmid", vmid) }
	return []attackCase{
		{name: "node-dotdot", tool: "pve_node_status", args: m("node", "pve1/../pve3"), want: []string{`"node"`}},
		{name: "node-encoded-slash", tool: "pve_node_status", args: m("node", "pve1%2F..%2Fpve3"), want: []string{`"node"`}},
		{name: "node-query", tool: "pve_node_status", args: m("node", "pve1?x=1"), want: []string{`"node"`}},
		{name: "node-forbidden", tool: "pve_node_status", args: m("node", "pve3"), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "node-other-case", tool: "pve_node_status", args: m("node", "PVE1"), want: []string{"PVE1", "PVE_NODE_ALLOWLIST"}},
		{name: "node-trailing-space", tool: "pve_node_status", args: m("node", "pve1 "), want: []string{`"node"`}},
		{name: "node-newline", tool: "pve_node_status", args: m("node", "pve1\n"), want: []string{`"node"`}},
		{name: "node-empty", tool: "pve_node_status", args: m("node", ""), want: []string{`"node"`}},
		{name: "vm-node-dotdot", tool: "pve_vm_status", args: vm("pve1/../../nodes/pve3", 100), want: []string{`"node"`}},
		{name: "vmid-zero", tool: "pve_vm_status", args: vm("pve1", 0), want: []string{`"vmid"`}},
		{name: "vmid-negative", tool: "pve_vm_status", args: vm("pve1", -100), want: []string{`"vmid"`}},
		{name: "vmid-huge", tool: "pve_vm_status", args: vm("pve1", 1e12), want: []string{`"vmid"`}},
		{name: "vmid-fraction", tool: "pve_vm_status", args: vm("pve1", 100.5), want: []string{`"vmid"`}},
		{name: "vmid-string", tool: "pve_vm_status", args: vm("pve1", "101"), want: []string{`"vmid"`}},
		{name: "vmid-path", tool: "pve_vm_status", args: vm("pve1", "100/../101"), want: []string{`"vmid"`}},
		{name: "vmid-forbidden", tool: "pve_vm_status", args: vm("pve1", 101), want: []string{"101", "PVE_VMID_ALLOWLIST"}},
		{name: "vmid-forbidden-other-node", tool: "pve_vm_config", args: vm("pve2", 102), want: []string{"102", "PVE_VMID_ALLOWLIST"}},
		{name: "guest-on-forbidden-node", tool: "pve_vm_status", args: vm("pve3", 103), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "lxc-forbidden", tool: "pve_lxc_config", args: vm("pve2", 201), want: []string{"201", "PVE_VMID_ALLOWLIST"}},
		{name: "storage-dotdot", tool: "pve_storage_content", args: m("node", "pve1", "storage", "local/../../x"), want: []string{`"storage"`}},
		{name: "storage-forbidden-node", tool: "pve_storage_content", args: m("node", "pve3", "storage", fx.shared), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "backups-forbidden-node", tool: "pve_list_backups", args: m("node", "pve3", "storage", fx.shared), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "tasks-forbidden-node", tool: "pve_list_tasks", args: m("node", "pve3"), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "snapname-dotdot", tool: "pve_snapshot_delete", args: m("node", "pve1", "vmid", 100, "type", "qemu", "snapname", "../x", "confirm", true, "confirmName", "../x"), want: []string{`"snapname"`}},
		{name: "snapshots-forbidden", tool: "pve_list_snapshots", args: m("node", "pve1", "vmid", 101, "type", "qemu"), want: []string{"101", "PVE_VMID_ALLOWLIST"}},
		{name: "upid-dotdot", tool: "pve_task_log", args: m("upid", "UPID:pve1/../../x"), want: []string{`"upid"`}},
		{name: "upid-query", tool: "pve_task_log", args: m("upid", fx.task100+"?x=1"), want: []string{`"upid"`}},
		{name: "upid-forbidden-node", tool: "pve_task_log", args: m("upid", fx.taskPve3), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "upid-forbidden-guest", tool: "pve_task_status", args: m("upid", fx.task101), want: []string{"101", "PVE_VMID_ALLOWLIST"}},
		{name: "upid-no-guest", tool: "pve_task_log", args: m("upid", "UPID:pve1:0001A2B3:0012D687:6650F00D:vzdump::root@pam:"), want: []string{"vzdump", "PVE_VMID_ALLOWLIST"}},
		{name: "upid-wait-forbidden-node", tool: "pve_task_wait", args: m("upid", fx.taskPve3, "timeoutSeconds", 1), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "upid-stop-forbidden-guest", tool: "pve_task_stop", args: m("upid", fx.task101, "confirm", true), want: []string{"101", "PVE_VMID_ALLOWLIST"}},
		{name: "migrate-to-forbidden-node", tool: "pve_vm_migrate", args: m("node", "pve1", "vmid", 100, "target", "pve3"), want: []string{"target", "pve3"}},
		{name: "clone-to-forbidden-node", tool: "pve_vm_clone", args: m("node", "pve1", "vmid", 9000, "newid", 157, "target", "pve3"), want: []string{"target", "pve3"}},
		{name: "clone-to-forbidden-id", tool: "pve_vm_clone", args: m("node", "pve1", "vmid", 9000, "newid", 300), want: []string{"newid", "300"}},
		{name: "lxc-clone-to-forbidden-id", tool: "pve_lxc_clone", args: m("node", "pve1", "vmid", 200, "newid", 201), want: []string{"newid", "201"}},
		{name: "schedule-backup-all", tool: "pve_schedule_backup", args: m("schedule", "daily", "storage", "local", "all", true), want: []string{"all", "PVE_VMID_ALLOWLIST"}},
		{name: "schedule-backup-forbidden", tool: "pve_schedule_backup", args: m("schedule", "daily", "storage", "local", "vmids", []int{100, 101}), want: []string{"vmids", "101"}},
		{name: "backup-forbidden", tool: "pve_backup_now", args: m("node", "pve1", "vmid", 101, "storage", "local"), want: []string{"101", "PVE_VMID_ALLOWLIST"}},
		{name: "bridge-forbidden-node", tool: "pve_create_bridge", args: m("node", "pve3", "iface", "vmbr5"), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "apply-network-forbidden-node", tool: "pve_apply_network", args: m("node", "pve3", "confirm", true), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "network-forbidden-node", tool: "pve_list_network", args: m("node", "pve3"), want: []string{"pve3", "PVE_NODE_ALLOWLIST"}},
		{name: "restore-forbidden-id", tool: "pve_restore", args: atkRestore(300, "qemu", fx.backup100local), want: []string{"300", "PVE_VMID_ALLOWLIST"}},
		{name: "delete-forbidden", tool: "pve_lxc_delete", args: m("node", "pve2", "vmid", 201, "confirm", true, "confirmVmid", 201), want: []string{"201", "PVE_VMID_ALLOWLIST"}},
		{name: "delete-echo-mismatch", tool: "pve_vm_delete", args: m("node", "pve1", "vmid", 100, "confirm", true, "confirmVmid", 101), want: []string{"confirmVmid"}},

		// Positive controls.
		{name: "ok-task-status-own", tool: "pve_task_status", args: m("upid", fx.task100), ok: true},
		{name: "ok-task-log-guestless", tool: "pve_task_log", args: m("upid", fx.taskNet), ok: true},
		{name: "ok-node-status-allowed", tool: "pve_node_status", args: m("node", "pve2"), ok: true},
		{name: "ok-snapshots-own", tool: "pve_list_snapshots", args: m("node", "pve1", "vmid", 200, "type", "lxc"), ok: true},
	}
}
