package tools

import (
	"strings"
	"sync"
)

// privNeed is one privilege check of Proxmox a tool's requests meet: any
// of privs (joined by "|") on path, whose {node}, {vmid}, {storage} or
// {poolid} is the object the call names.
type privNeed struct {
	path  string
	privs string
	part  string // "": the tool's main use; else the part of it that needs this
}

// Proxmox checks a guest's config privileges per key given (memory:
// VM.Config.Memory, a NIC: VM.Config.Network, scsihw: VM.Config.HWType...).
const (
	qemuConfigPrivs = "VM.Config.Disk|VM.Config.CDROM|VM.Config.CPU|VM.Config.Memory|VM.Config.Network|VM.Config.HWType|VM.Config.Options"
	lxcConfigPrivs  = "VM.Config.Disk|VM.Config.CPU|VM.Config.Memory|VM.Config.Network|VM.Config.Options"
)

func need(path, privs string) privNeed { return privNeed{path: path, privs: privs} }

// needFor is a privilege only part of a tool's use needs.
func needFor(part, path, privs string) privNeed {
	return privNeed{path: path, privs: privs, part: part}
}

// toolPrivileges is what each tool needs, from the permission checks of
// the endpoints it calls (the schemas' "permissions" and the Perl behind
// them), kept in step with the README's least-privilege section. nil: no
// privilege of its own (the list shows what the token may see; tasks are
// the caller's own). pve_whoami reads it; a tool missing here is reported
// as unknown, never as usable, and TestToolPrivilegesCoverInventory fails.
// Built on first use: as a package-level map it was 5 000 instructions of
// every start-up.
var toolPrivileges = sync.OnceValue(func() map[string][]privNeed {
	return map[string][]privNeed{
		"pve_version": nil, "pve_cluster_resources": nil, "pve_next_vmid": nil, "pve_list_nodes": nil,
		"pve_list_tasks": nil, "pve_task_status": nil, "pve_task_log": nil, "pve_task_wait": nil, "pve_cluster_log": nil,
		"pve_whoami": nil, "pve_toolsets": nil, "pve_cluster_list": nil,
		// A plan reads what its call touches; pve_apply runs a tool whose own
		// entry says what that needs.
		"pve_plan":  {need("/vms/{vmid}", "VM.Audit"), needFor("the content of the storages involved", "/storage/{storage}", "Datastore.Audit|Datastore.AllocateSpace")},
		"pve_apply": nil,
		// The api toolset reads the shipped schema; a call needs its endpoint's
		// own privilege, which pve_api_search and pve_api_describe show.
		"pve_api_search": nil, "pve_api_describe": nil, "pve_api_call": nil,
		// pve_undo writes what the change it reverts wrote: that tool's privileges.
		"pve_undo": nil,
		// lists Proxmox filters by privilege: without it they come back empty
		"pve_list_storage": {need("/storage/{storage}", "Datastore.Audit|Datastore.AllocateSpace")},
		"pve_pools":        {need("/pool/{poolid}", "Pool.Audit")},
		"pve_replication":  {need("/vms/{vmid}", "VM.Audit")},
		"pve_list_vms":     {need("/vms/{vmid}", "VM.Audit")}, "pve_list_containers": {need("/vms/{vmid}", "VM.Audit")},
		"pve_task_stop":      {needFor("stopping another user's task", "/nodes/{node}", "Sys.Modify")},
		"pve_node_status":    {need("/nodes/{node}", "Sys.Audit")},
		"pve_cluster_status": {need("/", "Sys.Audit")},
		"pve_vm_status":      {need("/vms/{vmid}", "VM.Audit")},
		"pve_vm_config":      {need("/vms/{vmid}", "VM.Audit")},
		"pve_lxc_status":     {need("/vms/{vmid}", "VM.Audit")},
		"pve_lxc_config":     {need("/vms/{vmid}", "VM.Audit")},
		"pve_vm_start":       {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_vm_shutdown":    {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_vm_reboot":      {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_vm_stop":        {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_vm_reset":       {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_vm_suspend":     {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_vm_resume":      {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_lxc_start":      {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_lxc_shutdown":   {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_lxc_reboot":     {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_lxc_stop":       {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_lxc_suspend":    {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_lxc_resume":     {need("/vms/{vmid}", "VM.PowerMgmt")},
		"pve_vm_create":      {need("/vms/{vmid}", "VM.Allocate"), need("/vms/{vmid}", qemuConfigPrivs), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_lxc_create":     {need("/vms/{vmid}", "VM.Allocate"), need("/vms/{vmid}", lxcConfigPrivs), need("/storage/{storage}", "Datastore.AllocateSpace")},
		// and VM.Allocate on the new guest's id
		"pve_vm_clone":          {need("/vms/{vmid}", "VM.Clone"), need("/vms/{vmid}", "VM.Allocate"), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_lxc_clone":         {need("/vms/{vmid}", "VM.Clone"), need("/vms/{vmid}", "VM.Allocate"), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_vm_migrate":        {need("/vms/{vmid}", "VM.Migrate")},
		"pve_lxc_migrate":       {need("/vms/{vmid}", "VM.Migrate")},
		"pve_vm_set_config":     {need("/vms/{vmid}", qemuConfigPrivs+"|VM.Config.Cloudinit")},
		"pve_lxc_set_config":    {need("/vms/{vmid}", lxcConfigPrivs)},
		"pve_vm_delete":         {need("/vms/{vmid}", "VM.Allocate")},
		"pve_lxc_delete":        {need("/vms/{vmid}", "VM.Allocate")},
		"pve_vm_template":       {need("/vms/{vmid}", "VM.Allocate")},
		"pve_lxc_template":      {need("/vms/{vmid}", "VM.Allocate")},
		"pve_vm_resize_disk":    {need("/vms/{vmid}", "VM.Config.Disk"), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_lxc_resize_disk":   {need("/vms/{vmid}", "VM.Config.Disk"), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_list_snapshots":    {need("/vms/{vmid}", "VM.Audit")},
		"pve_snapshot_create":   {need("/vms/{vmid}", "VM.Snapshot")},
		"pve_snapshot_delete":   {need("/vms/{vmid}", "VM.Snapshot")},
		"pve_snapshot_rollback": {need("/vms/{vmid}", "VM.Snapshot.Rollback")},
		"pve_storage_content":   {need("/storage/{storage}", "Datastore.Audit|Datastore.AllocateSpace")},
		// download-url: also Sys.Audit and Sys.Modify on / (PVE 9: or Sys.AccessNetwork on the node)
		// and the storage's content, read to ask before replacing a file
		"pve_download_iso": {need("/storage/{storage}", "Datastore.AllocateTemplate"), need("/", "Sys.Audit"), need("/", "Sys.Modify"),
			need("/storage/{storage}", "Datastore.Audit|Datastore.AllocateSpace")},
		"pve_list_network":  nil,
		"pve_create_bridge": {need("/nodes/{node}", "Sys.Modify")},
		"pve_apply_network": {need("/nodes/{node}", "Sys.Modify")},
		"pve_list_backups":  {need("/storage/{storage}", "Datastore.Audit|Datastore.AllocateSpace")},
		"pve_backup_now": {need("/vms/{vmid}", "VM.Backup"), need("/storage/{storage}", "Datastore.AllocateSpace"),
			needFor("a stop-mode backup (the guard reads the guest's protection)", "/vms/{vmid}", "VM.Audit")},
		"pve_restore":         {need("/vms/{vmid}", "VM.Allocate"), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_schedule_backup": {need("/", "Sys.Modify"), need("/storage/{storage}", "Datastore.Allocate"), need("/vms/{vmid}", "VM.Backup")},
		// issue 15
		"pve_pool_create":       {need("/pool/{poolid}", "Pool.Allocate")},
		"pve_pool_delete":       {need("/pool/{poolid}", "Pool.Allocate")},
		"pve_pool_members":      {need("/pool/{poolid}", "Pool.Allocate"), need("/vms/{vmid}", "Permissions.Modify|VM.Allocate")},
		"pve_node_services":     {need("/nodes/{node}", "Sys.Audit"), needFor("start, stop, restart, reload", "/nodes/{node}", "Sys.Modify")},
		"pve_node_journal":      {need("/nodes/{node}", "Sys.Syslog")},
		"pve_node_updates":      {need("/nodes/{node}", "Sys.Modify")}, // even GET apt/update wants it
		"pve_node_disks":        {need("/nodes/{node}", "Sys.Audit")},
		"pve_vm_cloudinit":      {need("/vms/{vmid}", "VM.Config.Cloudinit|VM.Config.Network")},
		"pve_vm_cloudinit_dump": {need("/vms/{vmid}", "VM.Audit")},
		"pve_vm_provision": {need("/vms/{vmid}", "VM.Clone"), need("/vms/{vmid}", "VM.Allocate"), need("/storage/{storage}", "Datastore.AllocateSpace"),
			need("/vms/{vmid}", "VM.Config.Cloudinit|VM.Config.Network"), need("/vms/{vmid}", "VM.PowerMgmt"),
			needFor("the addresses from the agent", "/vms/{vmid}", "VM.GuestAgent.Audit|VM.Monitor")},
		"pve_vm_move_disk":    {need("/vms/{vmid}", "VM.Config.Disk"), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_lxc_move_volume": {need("/vms/{vmid}", "VM.Config.Disk"), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_vm_unlink_disk":  {need("/vms/{vmid}", "VM.Config.Disk")},
		// bulk: VM.PowerMgmt (start, shutdown) or VM.Migrate on / or each guest
		"pve_bulk_action": {needFor("start, shutdown", "/vms/{vmid}", "VM.PowerMgmt"), needFor("migrate", "/vms/{vmid}", "VM.Migrate")},
		// SDN lists are filtered per zone and vnet: without it they come back empty
		"pve_sdn_zones": {need("/sdn/zones/{zone}", "SDN.Audit|SDN.Allocate")}, "pve_sdn_vnets": {need("/sdn/zones/{zone}", "SDN.Audit|SDN.Allocate")},
		"pve_sdn_subnets": {need("/sdn/zones/{zone}", "SDN.Audit|SDN.Allocate")},
		"pve_ceph_status": {need("/", "Sys.Audit|Datastore.Audit")},
		// backup jobs: Sys.Audit on / to read them, Sys.Modify on / to change them;
		// running one is vzdump on each guest
		"pve_backup_jobs":       {need("/", "Sys.Audit")},
		"pve_backup_job_set":    {need("/", "Sys.Modify")},
		"pve_backup_job_delete": {need("/", "Sys.Modify")},
		"pve_backup_job_run":    {need("/vms/{vmid}", "VM.Backup"), need("/storage/{storage}", "Datastore.AllocateSpace")},
		"pve_backup_audit":      {need("/", "Sys.Audit"), need("/storage/{storage}", "Datastore.Audit|Datastore.AllocateSpace")},
		// guest agent: PVE 9's VM.GuestAgent.*, VM.Monitor on 8 and older
		"pve_vm_agent_info":       {need("/vms/{vmid}", "VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted|VM.Monitor")},
		"pve_vm_ip_addresses":     {need("/vms/{vmid}", "VM.Audit"), needFor("addresses from the agent", "/vms/{vmid}", "VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted|VM.Monitor")},
		"pve_lxc_ip_addresses":    {need("/vms/{vmid}", "VM.Audit")},
		"pve_vm_agent_exec":       {need("/vms/{vmid}", "VM.GuestAgent.Unrestricted|VM.Monitor")},
		"pve_vm_agent_file_read":  {need("/vms/{vmid}", "VM.GuestAgent.FileRead|VM.GuestAgent.Unrestricted|VM.Monitor")},
		"pve_vm_agent_file_write": {need("/vms/{vmid}", "VM.GuestAgent.FileWrite|VM.GuestAgent.Unrestricted|VM.Monitor")},
		// pct exec over SSH: VM.Audit for the status read; the command itself
		// runs as the SSH user on the node, outside Proxmox's permissions
		"pve_lxc_exec": {need("/vms/{vmid}", "VM.Audit")},
		// RRD data: the node's, a guest's or a storage's audit privilege
		"pve_node_metrics":    {need("/nodes/{node}", "Sys.Audit")},
		"pve_vm_metrics":      {need("/vms/{vmid}", "VM.Audit")},
		"pve_lxc_metrics":     {need("/vms/{vmid}", "VM.Audit")},
		"pve_storage_metrics": {need("/storage/{storage}", "Datastore.Audit|Datastore.AllocateSpace")},
		"pve_ha_status":       {need("/", "Sys.Audit")},
		"pve_ha_resources":    {need("/", "Sys.Audit"), needFor("add, remove", "/", "Sys.Console")},
		"pve_ha_rules":        {need("/", "Sys.Audit"), needFor("add, delete", "/", "Sys.Console")},
		// firewall: the scope decides; guests need the VM privileges, the
		// cluster "/" and a node its own path
		"pve_firewall_rules": {needFor("guest rules", "/vms/{vmid}", "VM.Audit"), needFor("changing guest rules", "/vms/{vmid}", "VM.Config.Network"),
			needFor("cluster rules", "/", "Sys.Audit"), needFor("node rules", "/nodes/{node}", "Sys.Audit"), needFor("changing cluster or node rules", "/", "Sys.Modify")},
		"pve_firewall_options": {needFor("guest options", "/vms/{vmid}", "VM.Audit"), needFor("setting guest options", "/vms/{vmid}", "VM.Config.Network"),
			needFor("cluster options", "/", "Sys.Audit"), needFor("setting cluster or node options", "/", "Sys.Modify")},
		"pve_firewall_aliases": {needFor("guest aliases", "/vms/{vmid}", "VM.Audit"), needFor("cluster aliases", "/", "Sys.Audit")},
		"pve_firewall_ipsets":  {needFor("guest IP sets", "/vms/{vmid}", "VM.Audit"), needFor("cluster IP sets", "/", "Sys.Audit")},
	}
})

// list splits a need's privileges.
func (n privNeed) list() []string { return strings.Split(n.privs, "|") }

// text is "Sys.Modify on /nodes/{node}".
func (n privNeed) text() string {
	return strings.ReplaceAll(n.privs, "|", " or ") + " on " + n.path
}
