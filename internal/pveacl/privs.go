// Package pveacl models Proxmox VE's access control for the simulator:
// users, API tokens, groups, roles, ACLs, pools, effective privileges,
// the API permission expressions of the schema, tickets and CSRF tokens.
// It follows pve-access-control (AccessControl.pm, RPCEnvironment.pm).
package pveacl

import "sort"

// privGroup lists the privileges of one category by who may hold them, as
// in AccessControl.pm $privgroups; the built-in roles derive from it.
type privGroup struct {
	cat                      string
	root, admin, user, audit []string
}

var privGroups = []privGroup{
	{cat: "VM",
		admin: []string{"VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network",
			"VM.Config.HWType", "VM.Config.Options", "VM.Allocate", "VM.Clone",
			"VM.GuestAgent.Unrestricted", "VM.Migrate", "VM.Replicate", "VM.Snapshot", "VM.Snapshot.Rollback",
			"VM.Monitor"}, // VM.Monitor: PVE 7 and 8 only (dropped in 9.0)
		user: []string{"VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.Backup",
			"VM.GuestAgent.FileRead", "VM.GuestAgent.FileSystemMgmt", "VM.GuestAgent.FileWrite", "VM.PowerMgmt"},
		audit: []string{"VM.Audit", "VM.GuestAgent.Audit"},
	},
	{cat: "Sys",
		root:  []string{"Sys.PowerMgmt", "Sys.Modify", "Sys.Incoming", "Sys.AccessNetwork"},
		admin: []string{"Sys.Console", "Sys.Syslog"},
		audit: []string{"Sys.Audit"},
	},
	{cat: "Datastore",
		admin: []string{"Datastore.Allocate", "Datastore.AllocateTemplate"},
		user:  []string{"Datastore.AllocateSpace"},
		audit: []string{"Datastore.Audit"},
	},
	{cat: "SDN",
		admin: []string{"SDN.Allocate", "SDN.Audit"},
		user:  []string{"SDN.Use"},
		audit: []string{"SDN.Audit"},
	},
	{cat: "User",
		root:  []string{"Realm.Allocate"},
		admin: []string{"User.Modify", "Group.Allocate", "Realm.AllocateUser"},
	},
	{cat: "Pool",
		admin: []string{"Pool.Allocate"},
		user:  []string{"Pool.Audit"},
		audit: []string{"Pool.Audit"},
	},
	{cat: "Mapping",
		admin: []string{"Mapping.Modify"},
		user:  []string{"Mapping.Use"},
		audit: []string{"Mapping.Audit"},
	},
}

// privSet is a set of privilege names.
type privSet map[string]bool

// builtinRoles computes PVE 9's built-in roles (create_roles).
func builtinRoles() map[string]privSet { return builtinRolesFor(newestPrivileges) }

// builtinRolesFor computes the built-in roles of a release from the
// privileges it knows: a category without privileges there has no roles.
func builtinRolesFor(valid privSet) map[string]privSet {
	roles := map[string]privSet{
		"NoAccess":        {},
		"Administrator":   {"Permissions.Modify": true},
		"PVEAdmin":        {},
		"PVEAuditor":      {},
		"PVETemplateUser": {"VM.Clone": true, "VM.Audit": true},
	}
	add := func(role, priv string) {
		if !valid[priv] {
			return
		}
		if roles[role] == nil {
			roles[role] = privSet{}
		}
		roles[role][priv] = true
	}
	for _, g := range privGroups {
		for _, list := range [][]string{g.root, g.admin, g.user, g.audit} {
			for _, p := range list {
				add("Administrator", p)
			}
		}
		for _, list := range [][]string{g.admin, g.user, g.audit} {
			for _, p := range list {
				add("PVE"+g.cat+"Admin", p)
				add("PVEAdmin", p)
			}
		}
		if hasValid(g.user, valid) {
			for _, list := range [][]string{g.user, g.audit} {
				for _, p := range list {
					add("PVE"+g.cat+"User", p)
				}
			}
		}
		for _, p := range g.audit {
			add("PVEAuditor", p)
		}
	}
	// Only Administrator, root@pam and PVEMappingAdmin may modify mappings.
	delete(roles["PVEAdmin"], "Mapping.Modify")
	return roles
}

func hasValid(privs []string, valid privSet) bool {
	for _, p := range privs {
		if valid[p] {
			return true
		}
	}
	return false
}

// allPrivileges are the privileges of every release served.
var allPrivileges = func() privSet {
	out := privSet{"Permissions.Modify": true}
	for _, g := range privGroups {
		for _, list := range [][]string{g.root, g.admin, g.user, g.audit} {
			for _, p := range list {
				out[p] = true
			}
		}
	}
	return out
}()

// newestPrivileges are PVE 9's.
var newestPrivileges = func() privSet {
	out := privSet{}
	for p := range allPrivileges {
		if p != "VM.Monitor" {
			out[p] = true
		}
	}
	return out
}()

// IsPrivilege reports whether name is a privilege of some release served
// (a Store knows its release's: Store.IsPrivilege).
func IsPrivilege(name string) bool { return allPrivileges[name] }

// AllPrivileges returns PVE 9's privilege names, sorted.
func AllPrivileges() []string { return sortedSet(newestPrivileges) }

// BuiltinRoles returns the built-in (special) roles of PVE 9 and their
// privileges, sorted.
func BuiltinRoles() map[string][]string {
	out := map[string][]string{}
	for name, privs := range builtinRoles() {
		out[name] = sortedSet(privs)
	}
	return out
}

func sortedSet(s privSet) []string {
	out := make([]string, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
