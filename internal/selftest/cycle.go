package selftest

import (
	"context"
	"crypto/rand"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// sweep is one run: what it found at the start and what it made.
type sweep struct {
	s *session
	o Options
	r *runner

	node                     string   // where guests are made
	others                   []string // other online nodes (migration targets)
	vm, vmClone, ct, ctClone int

	template     string // volid of the downloaded container template
	bridge       string
	cleanNetwork bool // no staged network change before the sweep
	jobID        string
	// backupsBefore are the backup volumes of the range's ids that were
	// there before; cleanup leaves them alone.
	backupsBefore map[string]bool
	vmBackup      string
	ctBackup      string
}

// preflight reads the cluster: the node, the free ids, and what is there
// already, so that cleanup removes only what the sweep made.
func (w *sweep) preflight(ctx context.Context) error {
	var inUse error
	w.r.step(ctx, "check the id range is free", "pve_cluster_resources", func(ctx context.Context) (string, error) {
		gs, err := w.s.guests(ctx)
		if err != nil {
			return "", err
		}
		var taken []string
		for _, g := range gs {
			if g.VMID >= w.o.First && g.VMID <= w.o.Last {
				taken = append(taken, fmt.Sprintf("%d (%s on %s)", g.VMID, g.Type, g.Node))
			}
		}
		if len(taken) > 0 {
			inUse = fmt.Errorf("%w in %d-%d: %s; choose a free range with --ids", ErrInUse, w.o.First, w.o.Last, strings.Join(taken, ", "))
			return "", inUse
		}
		w.vm, w.vmClone, w.ct, w.ctClone = w.o.First, w.o.First+1, w.o.First+2, w.o.First+3
		return fmt.Sprintf("%d-%d free", w.o.First, w.o.Last), nil
	})
	w.r.step(ctx, "pick the node", "pve_list_nodes", func(ctx context.Context) (string, error) {
		ns, err := w.s.nodes(ctx)
		if err != nil {
			return "", err
		}
		for _, n := range ns {
			if n.Status != "online" {
				continue
			}
			if w.node == "" && (w.o.Node == "" || w.o.Node == n.Node) {
				w.node = n.Node
			} else {
				w.others = append(w.others, n.Node)
			}
		}
		if w.node == "" {
			return "", fmt.Errorf("no online node %q among %d", w.o.Node, len(ns))
		}
		return fmt.Sprintf("%s; %d other online nodes", w.node, len(w.others)), nil
	})
	w.r.step(ctx, "read what is there", "pve_list_backups", w.readBefore)
	if inUse != nil {
		return inUse
	}
	if last := w.r.steps[len(w.r.steps)-1]; last.Status != statusOK {
		return fmt.Errorf("selftest: nothing made: %s: %s", last.Name, last.Note)
	}
	return nil
}

func (w *sweep) readBefore(ctx context.Context) (string, error) {
	w.backupsBefore = map[string]bool{}
	for id := w.o.First; id <= w.o.Last; id++ {
		vols, err := w.s.backups(ctx, w.node, w.o.BackupStorage, id)
		if err != nil {
			return "", err
		}
		for _, v := range vols {
			w.backupsBefore[v.Volid] = true
		}
	}
	w.template = w.o.BackupStorage + ":vztmpl/mcp-selftest-" + path.Base(w.o.TemplateURL)
	tmpls, err := w.s.templates(ctx, w.node, w.o.BackupStorage)
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(tmpls, func(v volume) bool { return v.Volid == w.template }) {
		return "", fmt.Errorf("%s is there already (from an earlier sweep?); remove it first", w.template)
	}
	ifaces, changes, err := w.s.network(ctx, w.node)
	if err != nil {
		return "", err
	}
	w.cleanNetwork = strings.TrimSpace(changes) == ""
	for n := w.o.First; ; n++ {
		name := "vmbr" + strconv.Itoa(n)
		if !slices.ContainsFunc(ifaces, func(i iface) bool { return i.Iface == name }) {
			w.bridge = name
			break
		}
	}
	w.jobID = "mcp-selftest-" + strconv.Itoa(w.o.First)
	jobs, err := w.s.jobs(ctx)
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(jobs, func(j job) bool { return j.ID == w.jobID }) {
		return "", fmt.Errorf("backup job %s is there already (from an earlier sweep?); remove it first", w.jobID)
	}
	return fmt.Sprintf("%d earlier backups in the range kept", len(w.backupsBefore)), nil
}

// cycle makes and drives the guests; each step's undo is registered as
// soon as there is something to undo.
func (w *sweep) cycle(ctx context.Context) {
	n, st, bst := w.node, w.o.Storage, w.o.BackupStorage
	w.r.step(ctx, "download a container template", "pve_download_iso", func(ctx context.Context) (string, error) {
		w.made(w.undoTemplate())
		return w.template, w.s.task(ctx, "pve_download_iso", m("node", n, "storage", bst, "url", w.o.TemplateURL,
			"filename", strings.TrimPrefix(w.template, bst+":vztmpl/"), "content", "vztmpl"))
	})
	w.r.step(ctx, "stage a bridge", "pve_create_bridge", func(ctx context.Context) (string, error) {
		w.made(w.undoBridge())
		if err := w.s.call(ctx, "pve_create_bridge", m("node", n, "iface", w.bridge, "comments", "mcp selftest"), nil); err != nil {
			return "", err
		}
		return w.bridge + " staged", nil
	})
	w.r.step(ctx, "apply the network change", "pve_apply_network", func(context.Context) (string, error) {
		return "", errSkip("never applied: reloading a remote node's network can cut it off; the staged change is reverted")
	})
	w.vmCycle(ctx, n, st, bst)
	w.ctCycle(ctx, n, st, bst)
	w.r.step(ctx, "create a backup job", "pve_backup_job_set", func(ctx context.Context) (string, error) {
		w.made(w.undoJob())
		return w.jobID + " (disabled)", w.s.call(ctx, "pve_backup_job_set", m("id", w.jobID, "create", true,
			"schedule", "sun 01:00", "storage", bst, "vmids", []int{w.vm, w.ct}, "enabled", false,
			"comment", "mcp selftest"), nil)
	})
}

func (w *sweep) made(u undo) { w.r.made(u) }

func (w *sweep) vmCycle(ctx context.Context, n, st, bst string) {
	id, name := w.vm, "mcp-selftest-"+strconv.Itoa(w.vm)
	w.r.step(ctx, "create a VM", "pve_vm_create", func(ctx context.Context) (string, error) {
		w.made(w.undoGuest(id, "vm"))
		return strconv.Itoa(id), w.s.task(ctx, "pve_vm_create", m("node", n, "vmid", id, "name", name, "memory", 256,
			"disk", m("storage", st, "sizeGb", 1)))
	})
	w.guestSteps(ctx, "vm", "qemu", id, w.vmClone, n, bst, &w.vmBackup, m("name", name+"-clone", "full", true))
}

func (w *sweep) ctCycle(ctx context.Context, n, st, bst string) {
	id := w.ct
	w.r.step(ctx, "create a container", "pve_lxc_create", func(ctx context.Context) (string, error) {
		w.made(w.undoGuest(id, "lxc"))
		return strconv.Itoa(id), w.s.task(ctx, "pve_lxc_create", m("node", n, "vmid", id, "hostname", "mcp-selftest-"+strconv.Itoa(id),
			"ostemplate", w.template, "memory", 256, "rootfs", m("storage", st, "sizeGb", 1), "password", rand.Text()))
	})
	w.guestSteps(ctx, "lxc", "lxc", id, w.ctClone, n, bst, &w.ctBackup, m("hostname", "mcp-selftest-"+strconv.Itoa(w.ctClone), "full", true))
}

// guestSteps is the part of the cycle VMs and containers share.
func (w *sweep) guestSteps(ctx context.Context, kind, typ string, id, cloneID int, n, bst string, backup *string, cloneArgs map[string]any) {
	what := map[string]string{"vm": "VM", "lxc": "container"}[kind]
	at := m("node", n, "vmid", id)
	w.r.step(ctx, "start the "+what, "pve_"+kind+"_start", func(ctx context.Context) (string, error) {
		return "", w.s.task(ctx, "pve_"+kind+"_start", at)
	})
	snap := m("node", n, "vmid", id, "type", typ, "snapname", "selftest")
	w.r.step(ctx, "snapshot the "+what, "pve_snapshot_create", func(ctx context.Context) (string, error) {
		return "selftest", w.s.task(ctx, "pve_snapshot_create", snap)
	})
	w.r.step(ctx, "delete the snapshot", "pve_snapshot_delete", func(ctx context.Context) (string, error) {
		return "", w.s.task(ctx, "pve_snapshot_delete", with(snap, "confirm", true, "confirmName", "selftest"))
	})
	w.r.step(ctx, "stop the "+what, "pve_"+kind+"_stop", func(ctx context.Context) (string, error) {
		return "", w.s.task(ctx, "pve_"+kind+"_stop", with(at, "confirm", true))
	})
	w.r.step(ctx, "clone the "+what, "pve_"+kind+"_clone", func(ctx context.Context) (string, error) {
		w.made(w.undoGuest(cloneID, kind))
		return strconv.Itoa(cloneID), w.s.task(ctx, "pve_"+kind+"_clone", with(cloneArgs, "node", n, "vmid", id, "newid", cloneID))
	})
	w.r.step(ctx, "migrate the clone", "pve_"+kind+"_migrate", func(ctx context.Context) (string, error) {
		if len(w.others) == 0 {
			return "", errSkip("one-node cluster: nowhere to migrate to")
		}
		return "to " + w.others[0], w.s.task(ctx, "pve_"+kind+"_migrate", m("node", n, "vmid", cloneID, "target", w.others[0]))
	})
	w.r.step(ctx, "back up the "+what, "pve_backup_now", func(ctx context.Context) (string, error) {
		w.made(w.undoBackups(id))
		if err := w.s.task(ctx, "pve_backup_now", m("node", n, "vmid", id, "storage", bst, "mode", "stop", "notes", "mcp selftest")); err != nil {
			return "", err
		}
		vols, err := w.s.backups(ctx, n, bst, id)
		if err != nil {
			return "", err
		}
		var when int64 = -1
		for _, v := range vols {
			if !w.backupsBefore[v.Volid] && v.Ctime >= when {
				*backup, when = v.Volid, v.Ctime
			}
		}
		if *backup == "" {
			return "", fmt.Errorf("the backup of %d is not listed on %s", id, bst)
		}
		return *backup, nil
	})
	w.r.step(ctx, "delete the "+what, "pve_"+kind+"_delete", func(ctx context.Context) (string, error) {
		return "", w.s.task(ctx, "pve_"+kind+"_delete", with(at, "confirm", true, "confirmVmid", id))
	})
	w.r.step(ctx, "restore the "+what, "pve_restore", func(ctx context.Context) (string, error) {
		return "from " + *backup, w.s.task(ctx, "pve_restore", m("node", n, "vmid", id, "type", typ, "archive", *backup,
			"storage", w.o.Storage, "force", false, "confirm", true, "confirmVmid", id))
	})
}

// with copies args and sets more keys.
func with(args map[string]any, kv ...any) map[string]any {
	out := m(kv...)
	for k, v := range args {
		if _, set := out[k]; !set {
			out[k] = v
		}
	}
	return out
}
