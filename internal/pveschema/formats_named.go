package pveschema

import (
	"regexp"
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Named property-string formats: PVE registers these with a hash, and the
// API viewer shows only their name (e.g. format "pve-qm-boot"). We carry the
// ones the MCP tools and the simulator meet, from qemu-server, pve-storage
// and pve-guest-common. "pve-qm-ide" is resolved from the endpoint's own
// ide[n] format at load time instead.

// namedFormat is a hash format with its optional validator (run on the
// parsed result; its die text is returned without the "format error" wrap).
type namedFormat struct {
	props    map[string]*Param
	validate func(res map[string]string) string
}

func numParam(name, typ string, optional bool, min, max string) *Param {
	p := &Param{Name: name, Type: typ, Optional: optional}
	if min != "" {
		p.Minimum, p.MinimumText, _ = rawNumber([]byte(min))
	}
	if max != "" {
		p.Maximum, p.MaximumText, _ = rawNumber([]byte(max))
	}
	return p
}

func strParam(name string, optional bool, format, pattern string, enum ...string) *Param {
	p := &Param{Name: name, Type: "string", Optional: optional, Format: format, Pattern: pattern, Enum: enum}
	if pattern != "" {
		p.re = newLazyRegexp(perlPatternToGo(pattern))
	}
	return p
}

func boolParam(name string) *Param { return &Param{Name: name, Type: "boolean", Optional: true} }

func asDefaultKey(p *Param) *Param { p.DefaultKey = true; return p }

func props(ps ...*Param) map[string]*Param {
	m := make(map[string]*Param, len(ps))
	for _, p := range ps {
		m[p.Name] = p
	}
	return m
}

// cpuModels are qemu-server's built-in CPU model names (x86_64 and aarch64,
// plus the x86-64-v* models and "host").
var cpuModels = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`486 pentium pentium2 pentium3 coreduo core2duo Conroe Penryn Nehalem
		Nehalem-IBRS Westmere Westmere-IBRS SandyBridge SandyBridge-IBRS IvyBridge IvyBridge-IBRS Haswell
		Haswell-IBRS Haswell-noTSX Haswell-noTSX-IBRS Broadwell Broadwell-IBRS Broadwell-noTSX
		Broadwell-noTSX-IBRS Skylake-Client Skylake-Client-IBRS Skylake-Client-noTSX-IBRS Skylake-Client-v4
		Skylake-Server Skylake-Server-IBRS Skylake-Server-noTSX-IBRS Skylake-Server-v4 Skylake-Server-v5
		Cascadelake-Server Cascadelake-Server-v2 Cascadelake-Server-noTSX Cascadelake-Server-v4
		Cascadelake-Server-v5 Cooperlake Cooperlake-v2 KnightsMill Icelake-Client Icelake-Client-noTSX
		Icelake-Server Icelake-Server-noTSX Icelake-Server-v3 Icelake-Server-v4 Icelake-Server-v5
		Icelake-Server-v6 Icelake-Server-v7 SapphireRapids SapphireRapids-v2 SapphireRapids-v3
		SapphireRapids-v4 GraniteRapids GraniteRapids-v2 GraniteRapids-v3 SierraForest SierraForest-v2
		SierraForest-v3 ClearwaterForest athlon phenom Opteron_G1 Opteron_G2 Opteron_G3 Opteron_G4
		Opteron_G5 EPYC EPYC-IBPB EPYC-v3 EPYC-v4 EPYC-v5 EPYC-Rome EPYC-Rome-v2 EPYC-Rome-v3 EPYC-Rome-v4
		EPYC-Rome-v5 EPYC-Milan EPYC-Milan-v2 EPYC-Milan-v3 EPYC-Genoa EPYC-Genoa-v2 EPYC-Turin kvm32 kvm64
		qemu32 qemu64 max host a64fx cortex-a35 cortex-a53 cortex-a55 cortex-a57 cortex-a710 cortex-a72
		cortex-a76 neoverse-n1 neoverse-n2 neoverse-v1 x86-64-v2 x86-64-v2-AES x86-64-v3 x86-64-v4`) {
		m[n] = true
	}
	return m
}()

// vmCPUFlags are the flags a VM-specific CPU config may set (CPUFlags.pm).
var vmCPUFlags = []string{"nested-virt", "md-clear", "pcid", "spec-ctrl", "ssbd", "ibpb", "virt-ssbd",
	"amd-ssbd", "amd-no-ssb", "pdpe1gb", "hv-tlbflush", "hv-evmcs", "aes"}

var reVMCPUFlags = lazyre.New(`^(?:[+-](?:` + strings.Join(quoteAll(vmCPUFlags), "|") + `))(?:;[+-](?:` +
	strings.Join(quoteAll(vmCPUFlags), "|") + `))*$`)

func quoteAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = regexp.QuoteMeta(s)
	}
	return out
}

func cpuProps() map[string]*Param {
	return props(
		asDefaultKey(strParam("cputype", true, "", "")),
		strParam("reported-model", true, "", ""),
		boolParam("hidden"),
		strParam("hv-vendor-id", true, "", `(?^:[a-zA-Z0-9]{1,12})`),
		strParam("flags", true, "", `(?^:([+-])([a-zA-Z0-9\-_\.]+))(;(?^:([+-])([a-zA-Z0-9\-_\.]+)))*`),
		numParam("guest-phys-bits", "integer", true, "32", "64"),
		strParam("phys-bits", true, "pve-phys-bits", ""),
		numParam("level", "integer", true, "0", "4294967295"),
	)
}

func validateVMCPU(res map[string]string) string {
	cputype := res["cputype"]
	if !perlTruthy(cputype) {
		return "CPU is missing cputype"
	}
	if !strings.HasPrefix(cputype, "custom-") && !cpuModels[cputype] {
		return "Built-in cputype '" + cputype + "' is not defined (missing 'custom-' prefix?)"
	}
	if f := res["flags"]; perlTruthy(f) && !perlMatch(reVMCPUFlags, f) {
		return "VM-specific CPU flags must be a subset of: " + strings.Join(vmCPUFlags, ", ")
	}
	if _, ok := res["reported-model"]; ok {
		return "Property 'reported-model' not allowed in VM-specific CPU config."
	}
	return ""
}

// namedFormats is built on first use: most processes validate no
// property string, and the table was a third of the package's init.
var namedFormats = sync.OnceValue(func() map[string]namedFormat {
	return map[string]namedFormat{
		// qemu-server QemuServer.pm
		"pve-qm-boot": {props: props(
			asDefaultKey(strParam("legacy", true, "", "[acdn]{1,4}")),
			strParam("order", true, "pve-qm-bootdev-list", ""),
		)},
		"pve-qm-watchdog": {props: props(
			asDefaultKey(strParam("model", true, "", "", "i6300esb", "ib700")),
			strParam("action", true, "", "", "reset", "shutdown", "poweroff", "pause", "debug", "none"),
		)},
		// qemu-server QemuServer/Cloudinit.pm: snippets for cloud-init
		"pve-qm-cicustom": {props: props(
			strParam("meta", true, "pve-volume-id", ""),
			strParam("network", true, "pve-volume-id", ""),
			strParam("user", true, "pve-volume-id", ""),
			strParam("vendor", true, "pve-volume-id", ""),
		)},
		// qemu-server QemuServer/PCI.pm
		"pve-qm-hostpci": {props: props(
			asDefaultKey(strParam("host", true, "", `(?:[a-f0-9]{4,}:)?[a-f0-9]{2}:[a-f0-9]{2}(?:\.[a-f0-9])?(;(?:[a-f0-9]{4,}:)?[a-f0-9]{2}:[a-f0-9]{2}(?:\.[a-f0-9])?)*`)),
			strParam("mapping", true, "pve-configid", ""),
			boolParam("rombar"),
			strParam("romfile", true, "", "[^,;]+"),
			boolParam("pcie"),
			boolParam("x-vga"),
			boolParam("legacy-igd"),
			strParam("mdev", true, "", `[^/\.:]+`),
			strParam("vendor-id", true, "", "^0x[0-9a-fA-F]{4}$"),
			strParam("device-id", true, "", "^0x[0-9a-fA-F]{4}$"),
			strParam("sub-vendor-id", true, "", "^0x[0-9a-fA-F]{4}$"),
			strParam("sub-device-id", true, "", "^0x[0-9a-fA-F]{4}$"),
			strParam("driver", true, "", "", "vfio", "keep"),
		)},
		// qemu-server QemuServer/Network.pm
		"pve-qm-ipconfig": {props: func() map[string]*Param {
			gw := strParam("gw", true, "ipv4", "")
			gw.Requires = "ip"
			gw6 := strParam("gw6", true, "ipv6", "")
			gw6.Requires = "ip6"
			return props(strParam("ip", true, "pve-ipv4-config", ""), gw, strParam("ip6", true, "pve-ipv6-config", ""), gw6)
		}()},
		// qemu-server QemuServer/RNG.pm
		"pve-qm-rng": {props: props(
			asDefaultKey(strParam("source", false, "", "", "/dev/urandom", "/dev/random", "/dev/hwrng")),
			numParam("max_bytes", "integer", true, "", ""),
			numParam("period", "integer", true, "", ""),
		)},
		// qemu-server QemuServer/CPUConfig.pm
		"pve-vm-cpu-conf": {props: cpuProps(), validate: validateVMCPU},
		"pve-cpu-conf": {props: cpuProps(), validate: func(res map[string]string) string {
			return unless(perlTruthy(res["cputype"]), "CPU is missing cputype")
		}},
		// pve-storage Storage/Plugin.pm
		"prune-backups": {props: props(
			boolParam("keep-all"),
			numParam("keep-last", "integer", true, "0", ""),
			numParam("keep-hourly", "integer", true, "0", ""),
			numParam("keep-daily", "integer", true, "0", ""),
			numParam("keep-weekly", "integer", true, "0", ""),
			numParam("keep-monthly", "integer", true, "0", ""),
			numParam("keep-yearly", "integer", true, "0", ""),
		), validate: func(res map[string]string) string {
			for k, v := range res {
				if k != "keep-all" && isNumber(v) && perlNumeric(v) > 0 {
					return unless(!perlTruthy(res["keep-all"]), "keep-all cannot be set together with other options.")
				}
			}
			return ""
		}},
		// pve-guest-common VZDump/Common.pm
		"backup-fleecing": {props: props(
			asDefaultKey(boolParam("enabled")),
			strParam("storage", true, "pve-storage-id", ""),
		), validate: func(res map[string]string) string {
			ok := perlTruthy(res["storage"]) || !perlTruthy(res["enabled"])
			return unless(ok, "'storage' parameter is required when 'enabled' is set")
		}},
		"backup-performance": {props: props(
			numParam("max-workers", "integer", true, "1", "256"),
			numParam("pbs-entries-max", "integer", true, "1", ""),
		)},
	}
})

func lookupNamedFormat(name string) (namedFormat, bool) {
	nf, ok := namedFormats()[name]
	return nf, ok
}
