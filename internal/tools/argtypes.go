package tools

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// VMID is a Proxmox guest id. Its bounds reach every tool through the schema.
type VMID int

// Named argument types: each one's format (pattern and, for some, a hint in
// words for errors) is declared once, in argTypes; several end up in URL
// paths or property strings. Proxmox's identifiers come from pveid.
type (
	NodeName    string // pve-node
	StorageID   string // pve-storage-id
	VolumeID    string // STORAGE:NAME
	SnapName    string // pve-configid, as snapshot names
	TaskID      string // a UPID
	DNSName     string // guest and host names
	IPv4        string // a dotted IPv4 address
	IPv4CIDR    string // an IPv4 address with a prefix length
	CTIPConfig  string // a container's ip=: dhcp, manual or CIDR
	BridgeName  string // a bridge to attach to
	NewBridge   string // a bridge to create: vmbr and digits
	BridgePorts string // ports of a bridge, space-separated
	IfaceName   string // an interface inside a container
	ISOName     string // an ISO image file
	FileName    string // a file to download to
	HexChecksum string // a checksum in hex
	OneLine     string // text without line breaks
	Calendar    string // a calendar event: one non-empty line
	QemuDisk    string // a VM drive slot: scsi0, virtio1...
	CTVolume    string // a container's rootfs or mpN
	DiskSize    string // a resize: +20G grows by, 64G is the new size
	CIIPv4      string // cloud-init ip=: dhcp or an IPv4 CIDR
	CIIPv6      string // cloud-init ip6=: dhcp, auto or an IPv6 CIDR
	IPv6        string // an IPv6 address (checked in full by netip)
	IPAddr      string // an IPv4 or IPv6 address
	CIUser      string // the user cloud-init creates
	CIKey       string // a cloud-init setting to delete
	SSHKey      string // OpenSSH public keys (checked by pveid)
)

// Formats that are the tools' own, for values that go into property strings
// or Proxmox's network config.
const (
	ipv4RE        = `(25[0-5]|(2[0-4]|1\d|[1-9])?\d)(\.(25[0-5]|(2[0-4]|1\d|[1-9])?\d)){3}`
	prefixLenRE   = `/([0-9]|[12][0-9]|3[0-2])`
	ifaceChars    = `[a-zA-Z0-9_.\-]`
	ipv4Pattern   = `^` + ipv4RE + `$`
	cidrPattern   = `^` + ipv4RE + prefixLenRE + `$`
	ctIPPattern   = `^(dhcp|manual|` + ipv4RE + prefixLenRE + `)$`
	bridgePattern = `^[a-zA-Z]` + ifaceChars + `{0,14}$` // Linux allows 15 characters
	ifacePattern  = `^[a-zA-Z]` + ifaceChars + `{0,15}$`
	portsPattern  = `^` + ifaceChars + `{1,20}( ` + ifaceChars + `{1,20})*$`
	isoPattern    = `^[A-Za-z0-9][A-Za-z0-9_.+~\-]*\.(iso|img|ISO|IMG)$`
	filePattern   = `^[A-Za-z0-9][A-Za-z0-9_.+~\-]*$`
	ipv6Chars     = `[0-9a-fA-F:.]{2,45}`
	ciIPv4Pattern = `^(dhcp|` + ipv4RE + prefixLenRE + `)$`
	ciIPv6Pattern = `^(dhcp|auto|` + ipv6Chars + `/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$`
	ciKeyPattern  = `^(ciuser|cipassword|sshkeys|nameserver|searchdomain|citype|cicustom|ciupgrade|ipconfig([0-9]|[12][0-9]|3[01]))$`
)

// argType is the schema of a named argument type, and what its pattern
// accepts in words, for errors ("" to show the pattern).
type argType struct {
	schema *jsonschema.Schema
	hint   string
}

func str(pattern string) *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Pattern: pattern}
}

// argTypes is the one table of the named argument types.
func argTypes() map[reflect.Type]argType {
	return map[reflect.Type]argType{
		reflect.TypeFor[VMID](): {schema: &jsonschema.Schema{Type: "integer", Minimum: ptr(float64(pveid.MinVMID)), Maximum: ptr(float64(pveid.MaxVMID))}},
		reflect.TypeFor[NodeName](): {schema: &jsonschema.Schema{Type: "string", Pattern: pveid.NodePattern, MaxLength: ptr(pveid.MaxNodeLen)},
			hint: "a node name: letters, digits and inner hyphens, at most 63 characters"},
		reflect.TypeFor[StorageID](): {schema: str(pveid.StoragePattern),
			hint: "a storage id such as local-lvm: a letter, then letters, digits, '-', '_' or '.'"},
		reflect.TypeFor[VolumeID](): {schema: str(pveid.VolumePattern)},
		reflect.TypeFor[SnapName](): {schema: str(pveid.SnapPattern),
			hint: "a snapshot name: a letter, then 1 to 39 letters, digits, '_' or '-'"},
		reflect.TypeFor[TaskID](): {schema: str(pveid.UPIDPattern),
			hint: "a task id like UPID:pve1:000A1B2C:0012D687:6650F00D:qmstart:100:root@pam:"},
		reflect.TypeFor[DNSName]():     {schema: str(pveid.DNSNamePattern), hint: "a DNS name: letters, digits, hyphens and dots"},
		reflect.TypeFor[IPv4]():        {schema: str(ipv4Pattern)},
		reflect.TypeFor[IPv4CIDR]():    {schema: str(cidrPattern)},
		reflect.TypeFor[CTIPConfig]():  {schema: str(ctIPPattern)},
		reflect.TypeFor[BridgeName]():  {schema: str(bridgePattern), hint: "a bridge name such as vmbr0, at most 15 characters"},
		reflect.TypeFor[NewBridge]():   {schema: str(`^vmbr[0-9]{1,4}$`)},
		reflect.TypeFor[BridgePorts](): {schema: str(portsPattern)},
		reflect.TypeFor[IfaceName]():   {schema: str(ifacePattern)},
		reflect.TypeFor[ISOName]():     {schema: str(isoPattern), hint: "a file name ending in .iso or .img, without '/' or ','"},
		reflect.TypeFor[FileName]():    {schema: str(filePattern)},
		reflect.TypeFor[HexChecksum](): {schema: str(`^[0-9a-fA-F]{32,128}$`)},
		reflect.TypeFor[OneLine]():     {schema: str(`^[^\r\n]*$`)},
		reflect.TypeFor[Calendar]():    {schema: str(`^[^\r\n]+$`)},
		reflect.TypeFor[QemuDisk](): {schema: str(pveid.QemuDrivePattern),
			hint: "a VM disk slot: ide0-3, sata0-5, scsi0-30, virtio0-15, efidisk0 or tpmstate0"},
		reflect.TypeFor[CTVolume](): {schema: str(pveid.CTVolumePattern), hint: "a container volume: rootfs or mp0 to mp255"},
		reflect.TypeFor[DiskSize](): {schema: str(pveid.DiskSizePattern),
			hint: "a size with a unit K, M, G or T: +20G grows by 20 GiB, 64G is the new size"},
		reflect.TypeFor[PoolID](): {schema: str(pveid.PoolIDPattern),
			hint: "a pool id: letters, digits, '-' and '_', up to three levels joined by '/'"},
		reflect.TypeFor[ServiceName](): {schema: str(`^[a-z][a-z0-9-]{0,39}$`), hint: "a service name such as pveproxy or chrony"},
		reflect.TypeFor[DevPath]():     {schema: str(`^/dev/[A-Za-z0-9][A-Za-z0-9/_.:-]{0,120}$`), hint: "a disk's device path such as /dev/sda"},
		reflect.TypeFor[TimeArg](): {schema: str(`^([0-9]{1,12}|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:?[0-9]{2})?)?)$`),
			hint: "a time: RFC 3339 such as 2026-01-02T15:04:05Z, a date, or unix seconds"},
		reflect.TypeFor[CIIPv4](): {schema: str(ciIPv4Pattern), hint: "dhcp, or an IPv4 address with its prefix length such as 192.168.1.50/24"},
		reflect.TypeFor[CIIPv6](): {schema: str(ciIPv6Pattern), hint: "dhcp, auto (SLAAC), or an IPv6 address with its prefix length such as 2001:db8::50/64"},
		reflect.TypeFor[IPv6]():   {schema: str(`^` + ipv6Chars + `$`), hint: "an IPv6 address such as 2001:db8::1"},
		reflect.TypeFor[IPAddr](): {schema: str(`^(` + ipv4RE + `|` + ipv6Chars + `)$`), hint: "an IPv4 or IPv6 address"},
		reflect.TypeFor[CIUser](): {schema: str(`^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$`),
			hint: "a user name: a letter or '_', then letters, digits, '_', '.' or '-'"},
		reflect.TypeFor[CIKey](): {schema: str(ciKeyPattern),
			hint: "a cloud-init setting: ciuser, cipassword, sshkeys, nameserver, searchdomain, citype, cicustom, ciupgrade or ipconfig0 to ipconfig31"},
		reflect.TypeFor[SSHKey](): {schema: str(`^[^\x00]*[^\s\x00][^\x00]*$`), hint: "an OpenSSH public key line such as the content of id_ed25519.pub"},
		reflect.TypeFor[VMDiskKey](): {schema: str(vmDiskKeyPattern),
			hint: "a VM disk slot (scsi0, virtio1, ...) or unused0 to unused255"},
		reflect.TypeFor[VMDiskList](): {schema: str(vmDiskListPattern),
			hint: "disk slots separated by commas, e.g. scsi1 or scsi1,unused0"},
		reflect.TypeFor[SDNID](): {schema: str(sdnIDPattern), hint: "an SDN zone or vnet id: 2 to 8 lower-case letters and digits, a letter first"},
		reflect.TypeFor[JobID](): {schema: str(`^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$`),
			hint: "a backup job id such as backup-1a2b3c4d-5e6f, as pve_backup_jobs lists them"},
		reflect.TypeFor[BackupPool](): {schema: str(pveid.PoolIDPattern), hint: "a pool id such as prod or dev/web"},
		reflect.TypeFor[AgeLimit](): {schema: str(`^[1-9][0-9]{0,3}[hdw]$`),
			hint: "an age: a number and h (hours), d (days) or w (weeks), e.g. 7d"},
		reflect.TypeFor[GuestPath](): {schema: &jsonschema.Schema{Type: "string", Pattern: `^/[^\x00]*$`, MaxLength: ptr(4096)},
			hint: "an absolute path inside the guest, e.g. /etc/os-release"},
		reflect.TypeFor[SeriesName](): {schema: str(`^[a-z]{1,32}$`), hint: "an RRD series name such as cpu, mem or netin"},
		reflect.TypeFor[TaskType]():   {schema: str(`^[a-zA-Z0-9_-]{1,64}$`), hint: "a task type such as vzdump, qmstart or qmigrate"},
	}
}

// typeSchemas are the schemas of the named argument types.
func typeSchemas() map[reflect.Type]*jsonschema.Schema {
	m := map[reflect.Type]*jsonschema.Schema{
		// Proxmox's own answer, passed on as it comes: any JSON value.
		reflect.TypeFor[json.RawMessage](): {Description: "Proxmox's answer; \"ok\" when it returned nothing"},
		reflect.TypeFor[Limit]():           {Types: []string{"integer", "string"}, Description: "default 50; 0: all"},
	}
	for t, a := range argTypes() {
		m[t] = a.schema
	}
	for t, a := range haFirewallTypes() {
		m[t] = a.schema
	}
	return m
}

// hints say in words what a pattern accepts, for error messages; built on
// first use, as argTypes is costly and start-up needs none of it.
var hints = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, a := range append(slices.Collect(maps.Values(argTypes())), slices.Collect(maps.Values(haFirewallTypes()))...) {
		if a.hint != "" {
			m[a.schema.Pattern] = a.hint
		}
	}
	return m
})

// Named types of issue 15's pool, node and journal tools.
type (
	PoolID      string // pve-poolid: a pool, nested with '/' on PVE 8.1+
	ServiceName string // a node service as Proxmox names it
	DevPath     string // a disk's /dev path
	TimeArg     string // RFC 3339, a date, or unix seconds
)

// Types of the HA and firewall tools (issue 15).
type (
	ConfigID string // a Proxmox config id: HA rule or group names
	FWName   string // a firewall action, security group or macro name
	FWAddr   string // a firewall address: IP, CIDR, range, alias or +ipset, comma-separated
	FWPorts  string // firewall ports: numbers, names, ranges a:b, comma-separated
	FWProto  string // an IP protocol name or number
	HANode   string // a node with an optional HA priority: pve1 or pve1:2
)

func haFirewallTypes() map[reflect.Type]argType {
	return map[reflect.Type]argType{
		reflect.TypeFor[ConfigID](): {schema: str(`^[A-Za-z][A-Za-z0-9_\-]{1,127}$`),
			hint: "an id: a letter, then letters, digits, '_' or '-' (at least 2 characters)"},
		reflect.TypeFor[FWName](): {schema: str(`^[A-Za-z][A-Za-z0-9_\-]{0,63}$`),
			hint: "ACCEPT, DROP, REJECT or a name: a letter, then letters, digits, '_' or '-'"},
		reflect.TypeFor[FWAddr](): {schema: str(`^[+]?[A-Za-z0-9.:/_\-]+(,[+]?[A-Za-z0-9.:/_\-]+)*$`),
			hint: "an IP, CIDR, range a-b, alias or +ipset, or a comma-separated list of them"},
		reflect.TypeFor[FWPorts](): {schema: str(`^[A-Za-z0-9:\-]+(,[A-Za-z0-9:\-]+)*$`),
			hint: "ports such as 443, 8000:8100 or https, comma-separated"},
		reflect.TypeFor[FWProto](): {schema: str(`^[A-Za-z0-9\-]{1,32}$`), hint: "a protocol such as tcp, udp, icmp or a number"},
		reflect.TypeFor[HANode](): {schema: str(`^` + pveid.DNSLabelRE + `(:[0-9]{1,4})?$`),
			hint: "a node name with an optional priority, e.g. pve1 or pve1:2"},
	}
}

// Disk keys of the disk moves and unlinks (issue 14): Proxmox's disk slots,
// with the unusedN entries a detached volume is kept under.
type (
	VMDiskKey  string // a VM drive slot or unusedN
	VMDiskList string // VM drive slots or unusedN, comma-separated
)

// vmDiskKeyRE is pveid.QemuDrivePattern's slots (anchors cut) or unusedN.
var (
	vmDiskKeyRE       = `(` + strings.TrimSuffix(strings.TrimPrefix(pveid.QemuDrivePattern, "^"), "$") + `|unused([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))`
	vmDiskKeyPattern  = `^` + vmDiskKeyRE + `$`
	vmDiskListPattern = `^` + vmDiskKeyRE + `(,` + vmDiskKeyRE + `){0,15}$`
)

// SDNID is an SDN zone or vnet id (pve-sdn-zone-id, pve-sdn-vnet-id).
type SDNID string

const sdnIDPattern = `^[a-z][a-z0-9]{0,6}[a-z0-9]$`

// JobID is a backup job id: backup- and hex for the web UI's, or the
// configuration id given at creation.
type JobID string

// BackupPool is the pool whose guests a backup job takes.
type BackupPool string

// AgeLimit is an age such as 36h, 7d or 2w.
type AgeLimit string

// GuestPath is a file inside a guest, for the guest agent's file tools: an
// absolute path (PVE_AGENT_FILE_ALLOWLIST names absolute paths).
type GuestPath string

// SeriesName is an RRD data source of Proxmox's statistics: cpu, mem, netin...
type SeriesName string

// TaskType is a Proxmox task type, as UPIDs name it: vzdump, qmstart...
type TaskType string
