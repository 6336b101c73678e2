package fidelity

import (
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestGoProxmoxGuests: an admin's session on the guests through go-proxmox
// with the API token: inventory, power cycle with task waits, snapshots,
// config edits, resize, clone, migrate, template, destroy, backup, and
// containers created from a vztmpl.
func TestGoProxmoxGuests(t *testing.T) {
	e := startSim(t)
	c := tokenClient(e)
	defer func() { t.Logf("go-proxmox guests session: %d requests", e.requests.Load()) }()

	t.Run("version", func(t *testing.T) {
		v, err := c.Version(ctx)
		need(t, err, "Version")
		if !strings.HasPrefix(v.Version, "9.1") || v.Release != "9.1" || v.RepoID == "" {
			t.Fatalf("version %+v", v)
		}
	})
	t.Run("nodes", func(t *testing.T) {
		ns, err := c.Nodes(ctx)
		need(t, err, "Nodes")
		if len(ns) != 3 {
			t.Fatalf("%d nodes", len(ns))
		}
		for _, n := range ns {
			if n.Status != "online" || n.MaxCPU == 0 || n.MaxMem == 0 || n.Type != "node" || n.SSLFingerprint == "" {
				t.Errorf("node %+v", n)
			}
		}
	})
	node, err := c.Node(ctx, "pve1")
	if err != nil {
		t.Fatalf("Node(pve1): %v", err)
	}
	t.Run("node status", func(t *testing.T) {
		if !strings.HasPrefix(node.PVEVersion, "pve-manager/9.1") || node.CPUInfo.CPUs == 0 || node.Memory.Total == 0 || len(node.LoadAvg) != 3 {
			t.Fatalf("node %+v", node)
		}
		v, err := node.Version(ctx)
		need(t, err, "Node.Version")
		if v.Release != "9.1" {
			t.Fatalf("node version %+v", v)
		}
	})
	cl, err := c.Cluster(ctx)
	if err != nil {
		t.Fatalf("Cluster: %v", err)
	}
	t.Run("cluster status and nextid", func(t *testing.T) {
		if cl.Name == "" || cl.Quorate != 1 || len(cl.Nodes) != 3 {
			t.Fatalf("cluster %+v", cl)
		}
		id, err := cl.NextID(ctx)
		need(t, err, "NextID")
		if id != 104 {
			t.Fatalf("nextid %d, the seed's first free id is 104", id)
		}
		free, err := cl.CheckID(ctx, 100)
		need(t, err, "CheckID")
		if free {
			t.Fatal("CheckID(100): free, but VM 100 exists")
		}
	})
	t.Run("cluster resources", func(t *testing.T) {
		vms, err := cl.Resources(ctx, "vm")
		need(t, err, "Resources(vm)")
		if len(vms) != 7 {
			t.Fatalf("%d guests", len(vms))
		}
		nodes, err := cl.Resources(ctx, "node")
		need(t, err, "Resources(node)")
		stor, err := cl.Resources(ctx, "storage")
		need(t, err, "Resources(storage)")
		if len(nodes) != 3 || len(stor) == 0 {
			t.Fatalf("%d nodes, %d storages", len(nodes), len(stor))
		}
		for _, r := range vms {
			if r.Type != "qemu" && r.Type != "lxc" || r.VMID == 0 || r.Node == "" || r.MaxMem == 0 {
				t.Errorf("resource %+v", r)
			}
		}
	})
	t.Run("list guests", func(t *testing.T) {
		vms, err := node.VirtualMachines(ctx)
		need(t, err, "VirtualMachines")
		ids := map[uint64]string{}
		for _, v := range vms {
			ids[uint64(v.VMID)] = v.Status
		}
		if ids[100] != "running" || ids[101] != "stopped" || ids[9000] != "stopped" || len(ids) != 3 {
			t.Fatalf("pve1 VMs %v", ids)
		}
		cts, err := node.Containers(ctx)
		need(t, err, "Containers")
		if len(cts) != 1 || cts[0].VMID != 200 || cts[0].Status != "running" {
			t.Fatalf("pve1 containers %+v", cts)
		}
	})

	vm, err := node.VirtualMachine(ctx, 101)
	if err != nil {
		t.Fatalf("VirtualMachine(101): %v", err)
	}
	t.Run("vm config", func(t *testing.T) {
		cfg := vm.VirtualMachineConfig
		if vm.Name != "db01" || vm.Status != "stopped" || cfg.Name != "db01" || cfg.Cores == nil || *cfg.Cores != 4 || cfg.Memory != 8192 || cfg.MergeDisks()["scsi0"] == "" {
			t.Fatalf("VM 101 %+v config %+v", vm, cfg)
		}
		if vm.IsRunning() || !vm.IsStopped() {
			t.Fatal("VM 101 should be stopped")
		}
	})
	t.Run("power cycle", func(t *testing.T) {
		task, err := vm.Start(ctx)
		waitOK(t, task, err, "Start")
		need(t, vm.Ping(ctx), "Ping")
		if !vm.IsRunning() {
			t.Fatalf("after start: %q", vm.Status)
		}
		task, err = vm.Reboot(ctx)
		waitOK(t, task, err, "Reboot")
		task, err = vm.Shutdown(ctx)
		waitOK(t, task, err, "Shutdown")
		need(t, vm.Ping(ctx), "Ping")
		if !vm.IsStopped() {
			t.Fatalf("after shutdown: %q", vm.Status)
		}
		task, err = vm.Start(ctx)
		waitOK(t, task, err, "Start again")
		task, err = vm.Stop(ctx)
		waitOK(t, task, err, "Stop")
		need(t, vm.Ping(ctx), "Ping")
		if !vm.IsStopped() {
			t.Fatalf("after stop: %q", vm.Status)
		}
	})
	t.Run("suspend and resume", func(t *testing.T) {
		web, err := node.VirtualMachine(ctx, 100)
		need(t, err, "VirtualMachine(100)")
		task, err := web.Pause(ctx)
		waitOK(t, task, err, "Pause")
		need(t, web.Ping(ctx), "Ping")
		if !web.IsPaused() {
			t.Fatalf("after pause: status %q qmpstatus %q", web.Status, web.QMPStatus)
		}
		task, err = web.Resume(ctx)
		waitOK(t, task, err, "Resume")
		need(t, web.Ping(ctx), "Ping")
		if !web.IsRunning() {
			t.Fatalf("after resume: %q", web.Status)
		}
	})
	t.Run("snapshots", func(t *testing.T) {
		task, err := vm.NewSnapshot(ctx, "fidelity")
		waitOK(t, task, err, "NewSnapshot")
		snaps, err := vm.Snapshots(ctx)
		need(t, err, "Snapshots")
		names := map[string]bool{}
		for _, s := range snaps {
			names[s.Name] = true
		}
		if !names["fidelity"] || !names["current"] {
			t.Fatalf("snapshots %v", names)
		}
		snap := vm.Snapshot("fidelity")
		conf, err := snap.Config(ctx)
		need(t, err, "Snapshot.Config")
		if conf["name"] != "db01" || conf["snaptime"] == nil {
			t.Fatalf("snapshot config %v", conf)
		}
		task, err = snap.Rollback(ctx)
		waitOK(t, task, err, "Rollback")
		task, err = snap.Delete(ctx)
		waitOK(t, task, err, "Snapshot.Delete")
		snaps, err = vm.Snapshots(ctx)
		need(t, err, "Snapshots after delete")
		for _, s := range snaps {
			if s.Name == "fidelity" {
				t.Fatal("snapshot still listed after delete")
			}
		}
	})
	t.Run("config edit", func(t *testing.T) {
		need(t, vm.ConfigSync(ctx, proxmox.VirtualMachineOption{Name: "description", Value: "managed by fidelity"},
			proxmox.VirtualMachineOption{Name: "onboot", Value: true}), "ConfigSync")
		task, err := vm.Config(ctx, proxmox.VirtualMachineOption{Name: "memory", Value: 4096})
		waitOK(t, task, err, "Config (async)")
		v, err := node.VirtualMachine(ctx, 101)
		need(t, err, "VirtualMachine(101)")
		if v.VirtualMachineConfig.Description != "managed by fidelity" || v.VirtualMachineConfig.Memory != 4096 || !bool(v.VirtualMachineConfig.OnBoot) {
			t.Fatalf("config after edit %+v", v.VirtualMachineConfig)
		}
		need(t, vm.ConfigSync(ctx, proxmox.VirtualMachineOption{Name: "delete", Value: "description,onboot"}), "ConfigSync delete")
		v, err = node.VirtualMachine(ctx, 101)
		need(t, err, "VirtualMachine(101)")
		if v.VirtualMachineConfig.Description != "" || bool(v.VirtualMachineConfig.OnBoot) {
			t.Fatalf("config after delete=description,onboot %+v", v.VirtualMachineConfig)
		}
		task, err = vm.AddTag(ctx, "fidelity")
		waitOK(t, task, err, "AddTag")
		v, err = node.VirtualMachine(ctx, 101)
		need(t, err, "VirtualMachine(101)")
		if !v.HasTag("fidelity") || !v.HasTag("db") {
			t.Fatalf("tags %q", v.VirtualMachineConfig.Tags)
		}
		pending, err := vm.Pending(ctx)
		need(t, err, "Pending")
		if pending == nil || len(*pending) == 0 {
			t.Fatal("pending: empty")
		}
	})
	t.Run("resize", func(t *testing.T) {
		task, err := vm.ResizeDisk(ctx, "scsi0", "+2G")
		waitOK(t, task, err, "ResizeDisk")
		v, err := node.VirtualMachine(ctx, 101)
		need(t, err, "VirtualMachine(101)")
		if !strings.Contains(v.VirtualMachineConfig.MergeDisks()["scsi0"], "size=66G") {
			t.Fatalf("scsi0 after +2G: %q", v.VirtualMachineConfig.MergeDisks()["scsi0"])
		}
	})
	t.Run("clone migrate template destroy", func(t *testing.T) {
		tmpl, err := node.VirtualMachine(ctx, 9000)
		need(t, err, "VirtualMachine(9000)")
		if !bool(tmpl.Template) {
			t.Fatal("9000 is not a template")
		}
		newid, task, err := tmpl.Clone(ctx, &proxmox.VirtualMachineCloneOptions{Name: "fid-clone", Full: true, Storage: "local-lvm"})
		waitOK(t, task, err, "Clone")
		clone, err := node.VirtualMachine(ctx, newid)
		need(t, err, "VirtualMachine(clone)")
		if clone.Name != "fid-clone" || bool(clone.Template) {
			t.Fatalf("clone %+v", clone)
		}
		task, err = clone.Migrate(ctx, &proxmox.VirtualMachineMigrateOptions{Target: "pve2"})
		waitOK(t, task, err, "Migrate")
		pve2, err := c.Node(ctx, "pve2")
		need(t, err, "Node(pve2)")
		moved, err := pve2.VirtualMachine(ctx, newid)
		need(t, err, "VirtualMachine on pve2")
		task, err = moved.ConvertToTemplate(ctx)
		if task != nil || err != nil {
			waitOK(t, task, err, "ConvertToTemplate")
		}
		moved, err = pve2.VirtualMachine(ctx, newid)
		need(t, err, "VirtualMachine on pve2")
		if !bool(moved.Template) {
			t.Fatalf("not a template after ConvertToTemplate: %+v", moved.VirtualMachineConfig)
		}
		task, err = moved.Delete(ctx, nil)
		waitOK(t, task, err, "Delete")
		if _, err := pve2.VirtualMachine(ctx, newid); err == nil {
			t.Fatal("clone still there after Delete")
		}
	})
	t.Run("backup", func(t *testing.T) {
		task, err := node.Vzdump(ctx, &proxmox.VirtualMachineBackupOptions{VMID: 101, Storage: "local", Mode: "snapshot", Compress: "zstd"})
		waitOK(t, task, err, "Vzdump")
		local, err := node.Storage(ctx, "local")
		need(t, err, "Storage(local)")
		content, err := local.GetContent(ctx)
		need(t, err, "GetContent")
		backup := ""
		for _, it := range content {
			if it.VMID == 101 && strings.Contains(it.Volid, ":backup/vzdump-qemu-101-") {
				backup = it.Volid
			}
		}
		if backup == "" {
			t.Fatalf("no backup of 101 in local: %d items", len(content))
		}
		task, err = local.DeleteContent(ctx, backup)
		waitOK(t, task, err, "DeleteContent(backup)")
	})
	t.Run("storage content", func(t *testing.T) {
		storages, err := node.Storages(ctx)
		need(t, err, "Storages")
		if len(storages) < 2 {
			t.Fatalf("%d storages", len(storages))
		}
		local, err := node.Storage(ctx, "local")
		need(t, err, "Storage(local)")
		if local.Total == 0 || local.Active != 1 || !strings.Contains(local.Content, "iso") {
			t.Fatalf("local %+v", local)
		}
		iso, err := local.ISO(ctx, "debian-12.8.0-amd64-netinst.iso")
		need(t, err, "ISO")
		if iso.VolID != "local:iso/debian-12.8.0-amd64-netinst.iso" || iso.Size == 0 {
			t.Fatalf("iso %+v", iso)
		}
		tmpls, err := node.VzTmpls(ctx, "local")
		need(t, err, "VzTmpls")
		if len(tmpls) != 3 {
			t.Fatalf("%d vztmpls", len(tmpls))
		}
		isoStore, err := node.StorageISO(ctx)
		need(t, err, "StorageISO")
		if isoStore.Name != "local" {
			t.Fatalf("iso storage %q", isoStore.Name)
		}
	})
	t.Run("download iso", func(t *testing.T) {
		local, err := node.Storage(ctx, "local")
		need(t, err, "Storage(local)")
		task, err := local.DownloadURL(ctx, "iso", "fidelity.iso", "https://cdimage.debian.org/debian-cd/current/amd64/iso-cd/debian-12.8.0-amd64-netinst.iso")
		waitOK(t, task, err, "DownloadURL")
		iso, err := local.ISO(ctx, "fidelity.iso")
		need(t, err, "ISO(fidelity.iso)")
		task, err = iso.Delete(ctx)
		waitOK(t, task, err, "ISO.Delete")
		if _, err := local.ISO(ctx, "fidelity.iso"); err == nil {
			t.Fatal("iso still there after delete")
		}
	})
	t.Run("container from vztmpl", func(t *testing.T) {
		id, err := cl.NextID(ctx)
		need(t, err, "NextID")
		task, err := node.NewContainer(ctx, id,
			proxmox.ContainerOption{Name: "ostemplate", Value: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"},
			proxmox.ContainerOption{Name: "hostname", Value: "fid-ct"},
			proxmox.ContainerOption{Name: "storage", Value: "local-lvm"},
			proxmox.ContainerOption{Name: "rootfs", Value: "local-lvm:4"},
			proxmox.ContainerOption{Name: "memory", Value: 512},
			proxmox.ContainerOption{Name: "cores", Value: 1},
			proxmox.ContainerOption{Name: "net0", Value: "name=eth0,bridge=vmbr0,ip=dhcp"},
			proxmox.ContainerOption{Name: "unprivileged", Value: true},
			proxmox.ContainerOption{Name: "password", Value: "Secret-123"},
		)
		waitOK(t, task, err, "NewContainer")
		ct, err := node.Container(ctx, id)
		need(t, err, "Container")
		if ct.Name != "fid-ct" || ct.Status != "stopped" || ct.ContainerConfig.Hostname != "fid-ct" || ct.ContainerConfig.Memory == nil || *ct.ContainerConfig.Memory != 512 {
			t.Fatalf("container %+v config %+v", ct, ct.ContainerConfig)
		}
		task, err = ct.Start(ctx)
		waitOK(t, task, err, "Container.Start")
		task, err = ct.NewSnapshot(ctx, "fid-ct-snap")
		waitOK(t, task, err, "Container.NewSnapshot")
		snaps, err := ct.Snapshots(ctx)
		need(t, err, "Container.Snapshots")
		if len(snaps) < 2 {
			t.Fatalf("container snapshots %+v", snaps)
		}
		task, err = ct.Snapshot("fid-ct-snap").Delete(ctx)
		waitOK(t, task, err, "ContainerSnapshot.Delete")
		task, err = ct.Reboot(ctx)
		waitOK(t, task, err, "Container.Reboot")
		task, err = ct.Shutdown(ctx, false, 30)
		waitOK(t, task, err, "Container.Shutdown")
		task, err = ct.Resize(ctx, "rootfs", "+1G")
		waitOK(t, task, err, "Container.Resize")
		task, err = ct.Delete(ctx, nil)
		waitOK(t, task, err, "Container.Delete")
	})
	t.Run("container 200", func(t *testing.T) {
		ct, err := node.Container(ctx, 200)
		need(t, err, "Container(200)")
		if ct.Name != "proxy" || ct.Status != "running" || ct.ContainerConfig.Hostname != "proxy" {
			t.Fatalf("container %+v", ct)
		}
		ifaces, err := ct.Interfaces(ctx)
		need(t, err, "Container.Interfaces")
		if len(ifaces) == 0 {
			t.Fatal("no interfaces")
		}
		for _, i := range ifaces {
			if i.Name != "lo" && (i.HWAddr == "" || i.Inet == "") {
				t.Fatalf("sim gap (issue 13): LXC interfaces lack hardware-address or inet: %+v", i)
			}
		}
	})
}
