package e2e

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// The attack suite's cluster, from the simulator's seed:
//
//	pve1: VM 100 (allowed, running), VM 101 (FORBIDDEN), CT 200 (allowed), template 9000 (allowed)
//	pve2: VM 102 (FORBIDDEN), CT 201 (FORBIDDEN)  -- an allowed node
//	pve3: VM 103 (allowed id, but pve3 is a FORBIDDEN node)
//
// 150-159 and 250-259 are free allowed ids; 159 is never created.
const (
	atkNodes = "pve1,pve2"
	atkVMIDs = "100,103,150,151,152,153,154,155,156,157,158,159,200,250,251,252,253,254,255,256,257,258,259,9000"

	tmplDebian = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
	isoDebian  = "debian-12.8.0-amd64-netinst.iso"
	pubIP      = "93.184.216.34"
)

// TestAttackSuite drives every attack class of the security issue over MCP
// and checks each is refused with nothing sent to Proxmox, next to positive
// controls that must get through.
func TestAttackSuite(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	admin := cl.connect(t, clientOpts{})
	fx := atkAttackSetup(t, cl, admin)

	env := map[string]string{"PVE_NODE_ALLOWLIST": atkNodes, "PVE_VMID_ALLOWLIST": atkVMIDs}
	hostEnv := maps.Clone(env)
	hostEnv["PVE_ALLOW_HOST_ACCESS"] = "true"
	declined, accepted := &askLog{answer: "decline"}, &askLog{answer: "accept"}

	c := cl.connect(t, clientOpts{env: env})
	hc := cl.connect(t, clientOpts{env: hostEnv, elicit: declined.handler}) // host access, the user says no
	ha := cl.connect(t, clientOpts{env: hostEnv, elicit: accepted.handler}) // host access, the user says yes
	dc := cl.connect(t, clientOpts{env: env, elicit: declined.handler})     // no host access, the user says no
	for _, x := range []*client{c, hc, ha, dc} {
		x.ok("pve_version", nil, nil) // the guard reads the release once per connection
	}

	r := &attackRun{cl: cl, logs: []*askLog{declined, accepted}, counts: map[string]int{}}
	r.run(t, "1-default-key", c, atkDefaultKeyCases())
	r.run(t, "2-extra-override", c, atkOverrideCases())
	r.run(t, "3-aliases", c, atkAliasCases())
	r.run(t, "4-owner-parsing", c, atkOwnerCases(fx))
	r.run(t, "5-node-allowlist-shared-storage", c, atkSharedStorageCases(fx))
	r.run(t, "6-host-level", c, atkHostLevelCases())
	r.run(t, "6-host-level-allowed", hc, atkHostAccessCases(hc, ha, declined, accepted))
	r.run(t, "7-downloads", c, atkDownloadCases(dc, ha, declined, accepted))
	atkConsentCases(t, r, cl, env, hostEnv)
	r.run(t, "9-identifiers", c, atkIdentifierCases(fx))

	total := 0
	var lines []string
	for _, class := range r.order {
		total += r.counts[class]
		lines = append(lines, fmt.Sprintf("%s: %d", class, r.counts[class]))
	}
	t.Logf("attack suite: %d cases\n%s", total, strings.Join(lines, "\n"))
	if total < 120 {
		t.Errorf("only %d cases", total)
	}
}

// atkVmSet is pve_vm_set_config of allowed VM 100 with extra and confirm: true.
func atkVmSet(extra map[string]any) map[string]any {
	return m("node", "pve1", "vmid", 100, "confirm", true, "extra", extra)
}

// atkVmNew is pve_vm_create of allowed id 151 on pve1 with extra.
func atkVmNew(extra map[string]any, kv ...any) map[string]any {
	a := m("node", "pve1", "vmid", 151, "confirm", true)
	if extra != nil {
		a["extra"] = extra
	}
	maps.Copy(a, m(kv...))
	return a
}

// atkCtNew is pve_lxc_create of allowed id 250 on pve1 with extra.
func atkCtNew(extra map[string]any, kv ...any) map[string]any {
	a := m("node", "pve1", "vmid", 250, "ostemplate", tmplDebian, "rootfs", m("storage", "local-lvm", "sizeGb", 1), "confirm", true)
	if extra != nil {
		a["extra"] = extra
	}
	maps.Copy(a, m(kv...))
	return a
}

func atkRestore(vmid int, typ, archive string) map[string]any {
	return m("node", "pve1", "vmid", vmid, "type", typ, "archive", archive, "confirm", true, "confirmVmid", vmid)
}

// atkRefusedVM is a set_config attack through one extra key; the refusal
// names the key and each of want.
func atkRefusedVM(name, key, val string, want ...string) attackCase {
	return attackCase{name: name, tool: "pve_vm_set_config", args: atkVmSet(m(key, val)), want: append([]string{"extra." + key}, want...)}
}

// atkOwner is what a refusal for a forbidden guest's volume names: the guest
// and the allowlist that forbids it.
func atkOwner(id string) []string { return []string{id + " is not in PVE_VMID_ALLOWLIST"} }

// atkBadFormat is what a refusal of a value Proxmox itself would refuse says.
var atkBadFormat = []string{"Proxmox would refuse it"}

const (
	bk101 = "local:backup/vzdump-qemu-101-2024_01_01-00_00_00.vma.zst"
	bk102 = "local:backup/vzdump-qemu-102-2024_01_01-00_00_00.vma.zst"
	bk201 = "local:backup/vzdump-lxc-201-2024_01_01-00_00_00.tar.zst"
)
