package pvesim

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// The files qemu-server's Cloudinit.pm generates (GET .../cloudinit/dump):
// nocloud (user-data, network-config v1, meta-data) and, for Windows or
// citype=configdrive2, the OpenStack config drive's network and metadata.

func (s *Sim) cloudinitDump(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	conf := copyConf(g.conf)
	if pw, ok := conf["cipassword"]; ok && !windowsOS(conf["ostype"]) && !cryptRe.MatchString(pw) {
		conf["cipassword"] = encryptPW(pw, g.vmid)
	}
	// 9.x masks the password for callers without VM.Config.Cloudinit
	mask := s.major() >= 9 && !s.has(c.authid, fmt.Sprintf("/vms/%d", g.vmid), "VM.Config.Cloudinit")
	ci := &ciGen{conf: conf, vmid: g.vmid, major: s.major()}
	nocloud := ci.format() == "nocloud"
	switch c.params["type"] {
	case "user":
		return ci.userdata(mask), nil
	case "network":
		if nocloud {
			return ci.nocloudNetwork(), nil
		}
		return ci.configdrive2Network(), nil
	}
	user := ci.userdata(false)
	if nocloud {
		sum := sha1.Sum([]byte(user + ci.nocloudNetwork()))
		return "instance-id: " + hex.EncodeToString(sum[:]) + "\n", nil
	}
	sum := sha1.Sum([]byte(user + ci.configdrive2Network()))
	return "{\n     \"uuid\": \"" + hex.EncodeToString(sum[:]) + "\",\n     \"network_config\": { \"content_path\": \"/content/0000\" }\n}\n", nil
}

// hostResolv is the node's /etc/resolv.conf, the default of nameserver
// and searchdomain.
var hostResolv = struct{ search, dns string }{"lan", "192.168.100.1"}

// ciGen renders the generated files from a config.
type ciGen struct {
	conf  map[string]string
	vmid  int
	major int
}

func windowsOS(ostype string) bool {
	switch ostype {
	case "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11":
		return true
	}
	return false
}

func (ci *ciGen) format() string {
	if f := ci.conf["citype"]; f != "" {
		return f
	}
	if windowsOS(ci.conf["ostype"]) {
		return "configdrive2"
	}
	return "nocloud"
}

func (ci *ciGen) hostname() (string, string) {
	host := ci.conf["name"]
	if host == "" {
		host = fmt.Sprintf("VM%d", ci.vmid)
	}
	if strings.Contains(host, ".") {
		return host[:strings.Index(host, ".")], host
	}
	if sd := ci.conf["searchdomain"]; sd != "" {
		return host, host + "." + sd
	}
	if ci.major < 8 {
		return host, "" // 7.x writes no fqdn then
	}
	return host, host
}

func (ci *ciGen) dns() (search, servers []string) {
	sd, ok := ci.conf["searchdomain"]
	if !ok {
		sd = hostResolv.search
	}
	ns, ok := ci.conf["nameserver"]
	if !ok {
		ns = hostResolv.dns
	}
	return strings.Fields(sd), strings.Fields(ns)
}

func (ci *ciGen) userdata(mask bool) string {
	host, fqdn := ci.hostname()
	var b strings.Builder
	b.WriteString("#cloud-config\nhostname: " + host + "\nmanage_etc_hosts: true\n")
	if fqdn != "" {
		b.WriteString("fqdn: " + fqdn + "\n")
	}
	user, hasUser := ci.conf["ciuser"]
	if hasUser {
		b.WriteString("user: " + user + "\n")
		if user == "root" {
			b.WriteString("disable_root: False\n")
		}
	}
	if pw, ok := ci.conf["cipassword"]; ok {
		if mask {
			pw = "**********"
		}
		b.WriteString("password: " + pw + "\n")
	}
	if keys, ok := ci.conf["sshkeys"]; ok {
		keys = uriUnescape(keys)
		b.WriteString("ssh_authorized_keys:\n")
		for _, k := range strings.Split(keys, "\n") {
			if strings.TrimSpace(k) != "" {
				b.WriteString("  - " + strings.TrimRight(k, "\r") + "\n")
			}
		}
	}
	b.WriteString("chpasswd:\n  expire: False\n")
	if !hasUser || user != "root" {
		b.WriteString("users:\n  - default\n")
	}
	if up, ok := ci.conf["ciupgrade"]; ci.major < 8 || !ok || up != "0" {
		b.WriteString("package_upgrade: true\n")
	}
	return b.String()
}

// ifaces yields the netN with an ipconfigN, in key order.
func (ci *ciGen) ifaces(f func(id string, net, ip *propString)) {
	for _, k := range sortedKeys(ci.conf) {
		if !isIndexed(k, "net") {
			continue
		}
		id := strings.TrimPrefix(k, "net")
		ipc := ci.conf["ipconfig"+id]
		if ipc == "" {
			continue
		}
		f(id, parsePropString(ci.conf[k], "model"), parsePropString(ipc, "ip"))
	}
}

func netMAC(net *propString) string {
	if m := net.get("macaddr"); m != "" {
		return m
	}
	for _, k := range net.keys {
		if netModels[k] {
			return net.get(k)
		}
	}
	return ""
}

// ipv4Mask is split_ip4: the dotted netmask of a prefix length.
func ipv4Mask(cidr string) (string, string) {
	addr, bits, _ := strings.Cut(cidr, "/")
	n := atoiDefault(bits, 0)
	m := uint32(0)
	if n > 0 {
		m = ^uint32(0) << (32 - n)
	}
	return addr, fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

func (ci *ciGen) nocloudNetwork() string {
	var b strings.Builder
	b.WriteString("version: 1\nconfig:\n")
	ci.ifaces(func(id string, net, ip *propString) {
		i := "    "
		fmt.Fprintf(&b, "%s- type: physical\n%s  name: eth%s\n%s  mac_address: '%s'\n%s  subnets:\n", i, i, id, i, strings.ToLower(netMAC(net)), i)
		i += "  "
		if v, ok := ip.vals["ip"]; ok {
			if v == "dhcp" {
				b.WriteString(i + "- type: dhcp4\n")
			} else {
				addr, mask := ipv4Mask(v)
				fmt.Fprintf(&b, "%s- type: static\n%s  address: '%s'\n%s  netmask: '%s'\n", i, i, addr, i, mask)
				if gw, ok := ip.vals["gw"]; ok {
					fmt.Fprintf(&b, "%s  gateway: '%s'\n", i, gw)
				}
			}
		}
		if v, ok := ip.vals["ip6"]; ok {
			switch v {
			case "dhcp":
				b.WriteString(i + "- type: dhcp6\n")
			case "auto":
				b.WriteString(i + "- type: ipv6_slaac\n")
			default:
				fmt.Fprintf(&b, "%s- type: static6\n%s  address: '%s'\n", i, i, v)
				if gw, ok := ip.vals["gw6"]; ok {
					fmt.Fprintf(&b, "%s  gateway: '%s'\n", i, gw)
				}
			}
		}
	})
	search, servers := ci.dns()
	b.WriteString("    - type: nameserver\n")
	if len(servers) > 0 {
		b.WriteString("      address:\n")
		for _, s := range servers {
			b.WriteString("      - '" + s + "'\n")
		}
	}
	if len(search) > 0 {
		b.WriteString("      search:\n")
		for _, s := range search {
			b.WriteString("      - '" + s + "'\n")
		}
	}
	return b.String()
}

func (ci *ciGen) configdrive2Network() string {
	var b strings.Builder
	b.WriteString("auto lo\niface lo inet loopback\n\n")
	search, servers := ci.dns()
	if len(servers) > 0 {
		b.WriteString("        dns_nameservers " + strings.Join(servers, " ") + "\n")
	}
	if len(search) > 0 {
		b.WriteString("        dns_search " + strings.Join(search, " ") + "\n")
	}
	ci.ifaces(func(id string, net, ip *propString) {
		dev := "eth" + id
		b.WriteString("auto " + dev + "\n")
		if v := ip.get("ip"); v != "" {
			if v == "dhcp" {
				b.WriteString("iface " + dev + " inet dhcp\n")
			} else {
				addr, mask := ipv4Mask(v)
				b.WriteString("iface " + dev + " inet static\n        address " + addr + "\n        netmask " + mask + "\n")
				if gw := ip.get("gw"); gw != "" {
					b.WriteString("        gateway " + gw + "\n")
				}
			}
		}
		if v := ip.get("ip6"); v != "" {
			if v == "auto" || v == "dhcp" {
				b.WriteString("iface " + dev + " inet6 " + v + "\n")
			} else {
				addr, mask, _ := strings.Cut(v, "/")
				b.WriteString("iface " + dev + " inet6 static\n        address " + addr + "\n        netmask " + mask + "\n")
				if gw := ip.get("gw6"); gw != "" {
					b.WriteString("        gateway " + gw + "\n")
				}
			}
		}
	})
	return b.String()
}

// encryptPW is PVE::Tools::encrypt_pw: SHA-256 crypt with an 8 character
// salt. The salt is derived from the guest and password so the simulated
// cluster stays deterministic.
func encryptPW(pw string, vmid int) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("%d:%s", vmid, pw)))
	salt := strings.ReplaceAll(base64.StdEncoding.EncodeToString(sum[:])[:8], "+", "X")
	return sha256Crypt(pw, salt)
}
