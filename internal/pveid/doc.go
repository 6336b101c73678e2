// Package pveid is the grammar of Proxmox identifiers: guest ids, node names,
// storage and volume ids, snapshot names, disk slots, user and token ids, and
// task ids (UPIDs). Each rule is written once here, after pve-common's
// PVE::JSONSchema formats and PVE::UPID, pve-access-control's PVE::Auth::Plugin
// and PVE::AccessControl, and qemu-server's and pve-container's config keys;
// config, the client, the tools, the guard, the schema checker and the
// simulator all use it, so they cannot disagree.
//
// Patterns are Go regular expressions, anchored, for JSON schemas and for
// composing; the Valid and Split functions are what code should call.
package pveid
