package tools

import (
	"encoding/json"
	"reflect"

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
		reflect.TypeFor[SeriesName](): {schema: str(`^[a-z]{1,32}$`), hint: "an RRD series name such as cpu, mem or netin"},
	}
}

// typeSchemas are the schemas of the named argument types.
func typeSchemas() map[reflect.Type]*jsonschema.Schema {
	m := map[reflect.Type]*jsonschema.Schema{
		// Proxmox's own answer, passed on as it comes: any JSON value.
		reflect.TypeFor[json.RawMessage](): {Description: "Proxmox's answer; \"ok\" when it returned nothing"},
	}
	for t, a := range argTypes() {
		m[t] = a.schema
	}
	return m
}

// hints say in words what a pattern accepts, for error messages.
var hints = func() map[string]string {
	m := map[string]string{}
	for _, a := range argTypes() {
		if a.hint != "" {
			m[a.schema.Pattern] = a.hint
		}
	}
	return m
}()

// SeriesName is an RRD data source of Proxmox's statistics: cpu, mem, netin...
type SeriesName string
