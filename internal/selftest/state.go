package selftest

import (
	"context"
	"slices"
)

// The reads the sweep makes through the tools, to check before it starts,
// to find what it made and to look for leftovers after cleanup.

type guest struct {
	VMID   int    `json:"vmid"`
	Name   string `json:"name"`
	Node   string `json:"node"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Lock   string `json:"lock"`
}

type node struct {
	Node   string `json:"node"`
	Status string `json:"status"`
}

type volume struct {
	Volid string `json:"volid"`
	VMID  int    `json:"vmid"`
	Ctime int64  `json:"ctime"`
}

type iface struct {
	Iface string `json:"iface"`
}

type job struct {
	ID string `json:"id"`
}

func (s *session) guests(ctx context.Context) ([]guest, error) {
	var out struct{ Items []guest }
	err := s.call(ctx, "pve_cluster_resources", m("type", "vm", "limit", "all"), &out)
	return out.Items, err
}

// guest finds a guest by id, wherever it is.
func (s *session) guest(ctx context.Context, vmid int) (guest, bool, error) {
	gs, err := s.guests(ctx)
	if err != nil {
		return guest{}, false, err
	}
	i := slices.IndexFunc(gs, func(g guest) bool { return g.VMID == vmid })
	if i < 0 {
		return guest{}, false, nil
	}
	return gs[i], true, nil
}

func (s *session) nodes(ctx context.Context) ([]node, error) {
	var out struct{ Items []node }
	err := s.call(ctx, "pve_list_nodes", m("limit", "all"), &out)
	return out.Items, err
}

// backups lists the backup volumes of one guest id on a storage.
func (s *session) backups(ctx context.Context, nodeName, storage string, vmid int) ([]volume, error) {
	var out struct{ Items []volume }
	err := s.call(ctx, "pve_list_backups", m("node", nodeName, "storage", storage, "vmid", vmid, "limit", "all"), &out)
	return out.Items, err
}

// templates lists the container templates on a storage.
func (s *session) templates(ctx context.Context, nodeName, storage string) ([]volume, error) {
	var out struct{ Items []volume }
	err := s.call(ctx, "pve_storage_content", m("node", nodeName, "storage", storage, "content", "vztmpl", "limit", "all"), &out)
	return out.Items, err
}

// network lists a node's interfaces and its staged changes (a diff; ""
// when nothing is pending).
func (s *session) network(ctx context.Context, nodeName string) ([]iface, string, error) {
	var out struct {
		Items   []iface
		Changes string `json:"changes"`
	}
	err := s.call(ctx, "pve_list_network", m("node", nodeName), &out)
	return out.Items, out.Changes, err
}

func (s *session) jobs(ctx context.Context) ([]job, error) {
	var out struct{ Jobs []job }
	err := s.call(ctx, "pve_backup_jobs", nil, &out)
	return out.Jobs, err
}
