package pveid

import (
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Guest ids (pve-vmid: m/^[1-9][0-9]{2,8}$/).
const (
	MinVMID = 100
	MaxVMID = 999999999
	// VMIDPattern is pve-vmid for a guest id written as a string.
	VMIDPattern = `^[1-9][0-9]{2,8}$`
)

// ValidVMID tells whether id is a guest id Proxmox accepts.
func ValidVMID(id int) bool { return id >= MinVMID && id <= MaxVMID }

// Node names (pve-node) are DNS labels. Proxmox sets no length, but a node
// name is a host name, whose labels are at most 63 characters. DNSLabelRE is
// unanchored, for composing.
const (
	DNSLabelRE     = `[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?`
	NodePattern    = `^` + DNSLabelRE + `$`
	MaxNodeLen     = 63
	DNSNamePattern = `^` + DNSLabelRE + `(\.` + DNSLabelRE + `)*$`
)

var nodeMatch = lazyre.New(NodePattern)

// ValidNode tells whether s is a node name.
func ValidNode(s string) bool { return len(s) <= MaxNodeLen && nodeMatch.MatchString(s) }

// Storage ids (pve-storage-id, PVE::JSONSchema::parse_id, which other ids
// such as ACME plugin ids share): a letter, then letters, digits, '-', '_' or
// '.', ending in a letter or digit; so at least two characters. Proxmox
// matches case-insensitively, which for ASCII is the same. StorageRE is
// unanchored, for composing.
const (
	StorageRE      = `[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]`
	StoragePattern = `^` + StorageRE + `$`
)

// ValidStorageID tells whether s matches StoragePattern. It reads bytes, not
// a regexp, as the guard calls it for every volume of every request.
func ValidStorageID(s string) bool {
	if len(s) < 2 || !isLetter(s[0]) || !(isLetter(s[len(s)-1]) || isDigit(s[len(s)-1])) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// VolumePattern is a volume id as the tools take one, STORAGE:NAME: the name
// holds no whitespace or comma, as it goes into property strings.
const VolumePattern = `^` + StorageRE + `:[^\s,]+$`

// ParseVolumeID splits STORAGE:VOLNAME as pve-storage's parse_volume_id does
// (m/^([a-z][a-z0-9\-\_\.]*[a-z0-9]):(.+)$/i: the storage id holds no ':', so
// it ends at the first one), refusing line breaks and NUL outright. The error
// is Proxmox's text.
func ParseVolumeID(volid string) (storage, name string, err error) {
	sid, name, ok := strings.Cut(volid, ":")
	if !ok || name == "" || !ValidStorageID(sid) || strings.ContainsAny(volid, "\x00\r\n") {
		return "", "", fmt.Errorf("unable to parse volume ID '%s'", volid)
	}
	return sid, name, nil
}

// SnapPattern is a snapshot name: pve-configid with qemu-server's and
// pve-container's maxLength of 40 for snapname.
const SnapPattern = `^[a-zA-Z][a-zA-Z0-9_\-]{1,39}$`
