// Package pvesim is a Proxmox VE simulator: a cluster of nodes served from one
// HTTP endpoint that speaks the real /api2/json wire contract and applies the
// real effect of every operation the MCP server's tools use.
//
// Wire contract: {"data":...} (+ "total", "changes"); errors carry their text
// in the status line's reason phrase and in a JSON "message"; 400 "Parameter
// verification failed." adds "errors"; 401 has an empty body; unknown paths
// are 501 "Method 'GET /x' not implemented"; a body on GET/DELETE is 501.
// Every request is validated against the PVE API schema (pveschema, 9.1 by
// default, 8.4 or 7.4 on request) and checked with the schema's permission
// rule (pveacl) in pve-http-server's order: route, auth, 403, node, 400.
//
// Routing: the schema is the route table. A request path is looked up in
// the served release's path tree (pveschema Schema.Route: literal segments
// before parameters, content/{volume} takes the rest of the path), and the
// handler is found by the endpoint's method and template (routes.go); New
// refuses a handler for an endpoint the release's schema lacks.
//
// Tasks run on the simulated clock without goroutines: status, log lines
// (progressive) and effects follow from the elapsed time, and every request
// first finishes the tasks whose time is up. Options.Speed scales durations;
// Advance (or POST /_sim/advance) moves time forward.
//
// Seeded cluster: nodes pve1..pveN (192.168.100.11..), storages "local" (dir:
// iso, vztmpl, backup) and "local-lvm" (lvmthin: images, rootdir) on each
// node, "nas" (nfs, shared by all nodes: images, rootdir, backup, snippets;
// holds SeedHookscript), bridge vmbr0 (on eno1) per node, ISOs SeedISOs and templates
// SeedTemplates, pool "prod" (100, 200), guests 100 web01 (qemu, running,
// snapshot before-upgrade), 101 db01 (qemu, stopped, local ISO in ide2), 102
// dev01 (qemu, running, snapshots clean and pre-update; on pve2), 103 build01
// (qemu, stopped; on pve3), 200 proxy (lxc, running, snapshot initial), 201
// dns (lxc, stopped; on pve2), 9000 debian-12-template (qemu template),
// backups of 100 and 200 on pve1 "local", backup job backup-1a2b3c4d-5e6f and a
// task history on every node. Options.Guests adds guests from vmid 1000.
//
// Root-only rules follow qemu-server, pve-container and pve-manager: they
// compare the caller with "root@pam", so only a root@pam ticket passes and
// every API token (root@pam!x too) is refused: root-only config keys
// (args, lock, hookscript, raw host devices, paths), skiplock, backup
// tmpdir/dumpdir/script/job-id. Volumes named in a request pass
// PVE::Storage::check_volume_access; volume owners are parsed from the names
// as the storage plugins do, and destroying a guest frees only its own.
//
// Faults (Fault, AddFault, flags --fault KIND[:k=v,...], admin /_sim/faults):
// latency, error, offline (595/596, empty body), reset, hang, nonjson, html,
// task-fail, lock-timeout, task-vanish.
//
// SSH (ServeSSH, flags --ssh-listen and --ssh-dir): an sshd per node, each
// with its own host key, where root with an authorized key runs `pct exec
// VMID -- ARGV` in a container's model (pct.go: pct's and lxc-attach's own
// errors and exit codes; the command line is split as a shell splits it, and
// unquoted shell syntax is refused).
//
// Admin API (needs a full-privilege token): GET/POST/DELETE /_sim/faults,
// DELETE /_sim/faults/{id}, GET/DELETE /_sim/requests, POST /_sim/reset,
// POST /_sim/advance {"duration":"30s"}, POST /_sim/tokens {"tokenid",
// "secret","privsep","role","path","propagate"}, POST /_sim/users {"userid",
// "password"}, POST/DELETE /_sim/acl {"path","ugid","role","propagate"},
// POST /_sim/roles {"roleid","privs"}, POST /_sim/storage {"storage","type",
// "content","shared"}.
package pvesim
