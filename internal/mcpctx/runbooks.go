package mcpctx

import "fmt"

// runbooks are the prompts. Each text names only tools of this server (a
// test checks them against the inventory) and says which steps change the
// cluster and what to confirm first.
func runbooks() []prompt {
	return []prompt{
		{name: "check_cluster_health", title: "Cluster health check",
			desc: "Check quorum, nodes, HA, storage, failed tasks and the cluster log, and report what needs attention.",
			args: []arg{{name: "node", kind: "node", desc: "only this node (default: every node)"}},
			text: func(a map[string]string) string {
				scope := "every node"
				if n := a["node"]; n != "" {
					scope = "node " + n
				}
				return fmt.Sprintf(`Run a read-only health check of the Proxmox VE cluster, for %s. Change nothing.

1. pve_cluster_status: quorum and which nodes are online; pve_version for the release.
2. For each node in scope: pve_node_status (CPU, memory, root disk, load, uptime) and pve_node_services (services not running).
3. pve_ha_status: the HA manager, each node's LRM and any HA resource in error or fence state.
4. pve_cluster_resources with type storage: storages not available or fuller than 85%%.
5. pve_list_tasks with errors: true for each node in scope: failed tasks of the last days; pve_task_log for the interesting ones.
6. pve_cluster_log: recent errors and warnings.
7. pve_node_updates: pending updates (security ones first).

Report a short table per node (ok / warning / critical with the reason), then what to do about each problem, most urgent first. Do not start, stop, migrate or change anything: suggest the tool call and let the user decide.`, scope)
			}},
		{name: "audit_backups", title: "Backup audit",
			desc: "Find guests without a backup job or a recent backup, and check the backup storages and jobs.",
			args: []arg{{name: "older_than", kind: "age", desc: "a newest backup older than this is stale: 36h, 7d, 2w (default 7d)"},
				{name: "storage", kind: "storage", content: "backup", desc: "a backup storage to look into (default: every backup storage)"}},
			text: func(a map[string]string) string {
				where := "each backup storage pve_backup_audit names"
				if s := a["storage"]; s != "" {
					where = "storage " + s
				}
				return fmt.Sprintf(`Audit the backups of the Proxmox VE cluster. Read only: change nothing.

1. pve_backup_audit with older_than %q: guests in no backup job (or only in disabled ones), guests whose newest backup is stale, and each backup storage's retention.
2. pve_backup_jobs: each job's schedule, next run, storage, guests, mode and retention; note disabled jobs and jobs whose storage is missing.
3. pve_list_backups on %s: sizes, dates and protected archives of the guests flagged in step 1.
4. pve_cluster_resources with type vm: name the flagged guests (name, node, running or not).

Report: guests at risk first (no job, no recent backup), then job and storage problems, then a suggested fix for each (for example a pve_backup_job_set or pve_backup_now call). Do not run pve_backup_now, pve_backup_job_set or pve_backup_job_delete yourself: show the call and let the user decide.`, or(a, "older_than", "7d"), where)
			}},
		{name: "troubleshoot_guest", title: "Troubleshoot a guest",
			desc: "Find out why a VM or container misbehaves: state, config, tasks, logs, metrics, agent.",
			args: []arg{{name: "vmid", kind: "guest", required: true, desc: "the guest's id"},
				{name: "symptom", kind: "text", desc: "what is wrong, in a few words"},
				{name: "snapshot", kind: "snapshot", desc: "a known-good snapshot to compare the config with"}},
			text: func(a map[string]string) string {
				id := a["vmid"]
				s := fmt.Sprintf(`Troubleshoot guest %s on the Proxmox VE cluster.`, id)
				if sym := a["symptom"]; sym != "" {
					s += fmt.Sprintf(" The reported symptom: %q.", sym)
				}
				s += fmt.Sprintf(`

1. pve_cluster_resources with type vm: find guest %[1]s: a VM (qemu) or a container (lxc), which node, running or not, any lock.
2. A VM: pve_vm_status and pve_vm_config; a container: pve_lxc_status and pve_lxc_config. Look for a lock, a missing disk or ISO, odd memory or CPU settings, a full storage.
3. pve_list_tasks on its node with vmid %[1]s: its recent tasks; pve_task_log of any that failed.
4. pve_vm_metrics or pve_lxc_metrics: CPU, memory, disk and network over the last hour.
5. A VM with the guest agent: pve_vm_agent_info and pve_vm_ip_addresses; a container: pve_lxc_ip_addresses.
6. pve_node_status and pve_node_journal of its node when the cause may be the host.`, id)
				if sn := a["snapshot"]; sn != "" {
					s += fmt.Sprintf("\n7. pve_list_snapshots of the guest, and compare today's config with snapshot %q.", sn)
				}
				s += `

Explain the likely cause and the fix. Anything that changes the guest (start, stop, reboot, pve_vm_set_config, pve_snapshot_rollback) needs the user's go-ahead first: show the exact call; destructive ones also need confirm: true, and take a snapshot (pve_snapshot_create) before a risky change.`
				return s
			}},
		{name: "drain_node", title: "Migrate a node's guests before maintenance",
			desc: "Move every guest off a node safely, one at a time, so it can be rebooted or serviced.",
			args: []arg{{name: "node", kind: "node", required: true, desc: "the node to empty"},
				{name: "target", kind: "node", desc: "where to move the guests (default: the least loaded online node that has their storage)"}},
			text: func(a map[string]string) string {
				target := "the least loaded other online node that has each guest's storage"
				if t := a["target"]; t != "" {
					target = "node " + t
				}
				return fmt.Sprintf(`Empty node %[1]s for maintenance by migrating its guests to %[2]s. Plan first, then act only with the user's yes.

1. pve_cluster_status: the cluster must be quorate, and the target online. pve_ha_status: HA resources on %[1]s (HA moves them itself once the node is in maintenance; say so).
2. pve_cluster_resources with node %[1]s: its guests, running or not, with locks. pve_node_status of the target: enough free memory for the running guests.
3. For each guest: pve_vm_config or pve_lxc_config. Local disks (not on shared storage), passthrough devices (hostpci, usb) or a local ISO in the CD drive block or slow a migration: list them.
4. Show the plan: each guest, how it moves (VM: online live migration; container: restart migration), and what blocks it. Wait for the user's yes.
5. Migrate one guest at a time: pve_vm_migrate (online: true for a running VM; withLocalDisks: true only if the user agreed) or pve_lxc_migrate (restart: true for a running container); follow each with pve_task_wait and stop at the first failure. On PVE 9.1 or later pve_bulk_action with action migrate does the same in one task.
6. pve_cluster_resources with node %[1]s again: nothing left running. Report what moved where.

Never stop, delete or force anything to empty the node; do not reboot the node yourself.`, a["node"], target)
			}},
		{name: "provision_vm_from_template", title: "Provision a VM from a template",
			desc: "Clone a VM template, set cloud-init, size it, start it and report its addresses.",
			args: []arg{{name: "template", kind: "vmtemplate", required: true, desc: "the template's guest id"},
				{name: "name", kind: "text", desc: "name of the new VM"},
				{name: "target", kind: "node", desc: "node for the new VM (default: the template's node)"},
				{name: "storage", kind: "storage", content: "images", desc: "storage for a full clone's disks"}},
			text: func(a map[string]string) string {
				s := fmt.Sprintf(`Provision a new VM from template %s on the Proxmox VE cluster.`, a["template"])
				for _, k := range []string{"name", "target", "storage"} {
					if v := a[k]; v != "" {
						s += fmt.Sprintf(" %s: %s.", k, v)
					}
				}
				return s + `

1. pve_cluster_resources with type vm: find the template, its node, and that it is a template (template: 1). pve_vm_config of it: disks, cloud-init drive, agent.
2. pve_next_vmid: a free id for the new VM (or the one the user gives). Check the target node's memory with pve_node_status and, for a full clone, the storage's free space with pve_list_storage.
3. Ask the user for what is missing: name, cores, memory, disk size, cloud-init user and SSH keys, IP config (or DHCP). Never invent a password; prefer SSH keys.
4. Show the call and wait for the user's yes, then run pve_vm_provision (node, template, newid, name, target, storage, ciuser, sshkeys, ipconfig, cores, memory, diskSize), node being the template's node. It clones, sets cloud-init, grows the disk, starts the VM and waits for the guest agent.
5. Report the steps it made, the new VM's id, node and addresses. If a step failed, pve_task_log of its task tells why; do not delete the half-made VM without the user's yes (pve_vm_delete needs confirm: true and confirmVmid).`
			}},
		{name: "create_vm_from_iso", title: "Create a VM to install from an ISO",
			desc: "Create an empty VM with an installer ISO in its CD drive, ready to install from the console.",
			args: []arg{{name: "node", kind: "node", required: true, desc: "node for the VM"},
				{name: "iso", kind: "iso", required: true, desc: "the installer ISO, STORAGE:iso/FILE.iso"},
				{name: "storage", kind: "storage", content: "images", desc: "storage for the disk (default local-lvm)"}},
			text: func(a map[string]string) string {
				return fmt.Sprintf(`Create a VM on node %s that boots the installer %s, its disk on storage %s.

1. pve_storage_content of the ISO's storage on %[1]s with content iso: the ISO is there (pve_download_iso fetches one, with the user's yes).
2. pve_list_storage on %[1]s: the disk storage has room; pve_node_status: the node has the memory.
3. pve_next_vmid for a free id. Ask the user for name, cores, memory, disk size and OS type.
4. Show the call and wait for the user's yes, then pve_vm_create (node, vmid, name, cores, memory, ostype, disk, net, iso); follow its task with pve_task_wait.
5. pve_vm_start once the user wants to begin the installation; the installer runs on the VM's console, which this server does not reach.`, a["node"], a["iso"], or(a, "storage", "local-lvm"))
			}},
	}
}
