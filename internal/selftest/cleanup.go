package selftest

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// namePrefix marks the guests the sweep makes; cleanup deletes no guest
// without it, in case another one took an id meanwhile.
const namePrefix = "mcp-selftest-"

func (w *sweep) undoGuest(id int, kind string) undo {
	return undo{name: "guest " + strconv.Itoa(id), tool: "pve_" + kind + "_delete", run: func(ctx context.Context) (string, error) {
		g, ok, err := w.unlocked(ctx, id)
		if err != nil || !ok {
			return "not there", err
		}
		if !strings.HasPrefix(g.Name, namePrefix) {
			return "", fmt.Errorf("%d is %q now, not the sweep's: left alone", id, g.Name)
		}
		kind := map[string]string{"qemu": "vm", "lxc": "lxc"}[g.Type]
		if kind == "" {
			return "", fmt.Errorf("%d has type %q", id, g.Type)
		}
		at := m("node", g.Node, "vmid", id)
		if g.Status != "stopped" {
			if err := w.s.task(ctx, "pve_"+kind+"_stop", with(at, "confirm", true)); err != nil {
				return "", err
			}
		}
		return "deleted on " + g.Node, w.s.task(ctx, "pve_"+kind+"_delete", with(at, "confirm", true, "confirmVmid", id, "purge", true))
	}}
}

// lockPoll is how often cleanup looks whether a task it was interrupted in
// still holds a guest's lock.
const lockPoll = time.Second

// unlocked finds a guest once no task holds its lock: after Ctrl-C a clone
// or backup may still run on the node, and its guest has no name yet.
func (w *sweep) unlocked(ctx context.Context, id int) (guest, bool, error) {
	for {
		g, ok, err := w.s.guest(ctx, id)
		if err != nil || !ok || g.Lock == "" {
			return g, ok, err
		}
		select {
		case <-ctx.Done():
			return g, ok, fmt.Errorf("%d still locked (%s): %w", id, g.Lock, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// newBackups are the backups of id the sweep made.
func (w *sweep) newBackups(ctx context.Context, id int) ([]string, error) {
	vols, err := w.s.backups(ctx, w.node, w.o.BackupStorage, id)
	var out []string
	for _, v := range vols {
		if !w.backupsBefore[v.Volid] {
			out = append(out, v.Volid)
		}
	}
	return out, err
}

func (w *sweep) undoBackups(id int) undo {
	return undo{name: "backups of " + strconv.Itoa(id), tool: "pve_api_call", run: func(ctx context.Context) (string, error) {
		// A backup still running holds the guest's lock; its archive is
		// listed once it ends.
		if _, _, err := w.unlocked(ctx, id); err != nil {
			return "", err
		}
		vols, err := w.newBackups(ctx, id)
		if err != nil {
			return "", err
		}
		for _, v := range vols {
			if err := w.deleteVolume(ctx, v); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("%d deleted", len(vols)), nil
	}}
}

// deleteVolume goes through pve_api_call: no tool of its own deletes a
// storage volume.
func (w *sweep) deleteVolume(ctx context.Context, volid string) error {
	p := "/nodes/" + w.node + "/storage/" + w.o.BackupStorage + "/content/" + url.PathEscape(volid)
	return w.s.call(ctx, "pve_api_call", m("method", "DELETE", "path", p, "confirm", true), nil)
}

func (w *sweep) hasTemplate(ctx context.Context) (bool, error) {
	vols, err := w.s.templates(ctx, w.node, w.o.BackupStorage)
	return slices.ContainsFunc(vols, func(v volume) bool { return v.Volid == w.template }), err
}

func (w *sweep) undoTemplate() undo {
	return undo{name: "template " + w.template, tool: "pve_api_call", run: func(ctx context.Context) (string, error) {
		// After Ctrl-C the download may still run; its file shows up when
		// it ends.
		if err := w.downloadDone(ctx); err != nil {
			return "", err
		}
		ok, err := w.hasTemplate(ctx)
		if err != nil || !ok {
			return "not there", err
		}
		return "deleted", w.deleteVolume(ctx, w.template)
	}}
}

// downloadDone waits until no download of the sweep's runs on the node.
func (w *sweep) downloadDone(ctx context.Context) error {
	for {
		var out struct {
			Items []struct {
				ID string `json:"id"`
			}
		}
		if err := w.s.call(ctx, "pve_list_tasks", m("node", w.node, "running", true, "type", "download", "limit", 500), &out); err != nil {
			return err
		}
		if !slices.ContainsFunc(out.Items, func(t struct {
			ID string `json:"id"`
		}) bool {
			return strings.Contains(t.ID, "selftest")
		}) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the template download still runs: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

func (w *sweep) hasBridge(ctx context.Context) (bool, string, error) {
	ifaces, changes, err := w.s.network(ctx, w.node)
	return slices.ContainsFunc(ifaces, func(i iface) bool { return i.Iface == w.bridge }), changes, err
}

// undoBridge reverts the staged changes when there were none before the
// sweep, else removes only its bridge from them.
func (w *sweep) undoBridge() undo {
	return undo{name: "bridge " + w.bridge, tool: "pve_api_call", run: func(ctx context.Context) (string, error) {
		ok, changes, err := w.hasBridge(ctx)
		if err != nil {
			return "", err
		}
		base := "/nodes/" + w.node + "/network"
		switch {
		case w.cleanNetwork && strings.TrimSpace(changes) != "":
			return "staged changes reverted", w.s.call(ctx, "pve_api_call", m("method", "DELETE", "path", base, "confirm", true), nil)
		case ok:
			return "removed from the staged changes", w.s.call(ctx, "pve_api_call", m("method", "DELETE", "path", base+"/"+w.bridge, "confirm", true), nil)
		}
		return "not there", nil
	}}
}

func (w *sweep) hasJob(ctx context.Context) (bool, error) {
	jobs, err := w.s.jobs(ctx)
	return slices.ContainsFunc(jobs, func(j job) bool { return j.ID == w.jobID }), err
}

func (w *sweep) undoJob() undo {
	return undo{name: "backup job " + w.jobID, tool: "pve_backup_job_delete", run: func(ctx context.Context) (string, error) {
		ok, err := w.hasJob(ctx)
		if err != nil || !ok {
			return "not there", err
		}
		return "deleted", w.s.call(ctx, "pve_backup_job_delete", m("id", w.jobID, "confirm", true), nil)
	}}
}

// leftovers looks again for everything the sweep may have made.
func (w *sweep) leftovers(ctx context.Context) (string, error) {
	var left []string
	gs, err := w.s.guests(ctx)
	if err != nil {
		return "", err
	}
	for _, g := range gs {
		if g.VMID >= w.o.First && g.VMID <= w.o.Last {
			left = append(left, fmt.Sprintf("guest %d on %s", g.VMID, g.Node))
		}
	}
	for id := w.o.First; id <= w.o.Last; id++ {
		vols, err := w.newBackups(ctx, id)
		if err != nil {
			return "", err
		}
		left = append(left, vols...)
	}
	check := func(what string, ok bool, err error) {
		switch {
		case err != nil:
			left = append(left, what+" (not checked: "+err.Error()+")")
		case ok:
			left = append(left, what)
		}
	}
	ok, err := w.hasTemplate(ctx)
	check(w.template, ok, err)
	ok, changes, err := w.hasBridge(ctx)
	check("bridge "+w.bridge, ok, err)
	check("staged network changes", err == nil && w.cleanNetwork && strings.TrimSpace(changes) != "", nil)
	ok, err = w.hasJob(ctx)
	check("backup job "+w.jobID, ok, err)
	if len(left) > 0 {
		return "", fmt.Errorf("left behind: %s", strings.Join(left, ", "))
	}
	return "guests, backups, template, bridge, job: none", nil
}
