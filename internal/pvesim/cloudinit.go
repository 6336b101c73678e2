package pvesim

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Cloud-init of qemu guests: the pending/current diff (GET .../cloudinit),
// regenerating the drive (PUT) and the generated files (GET .../dump), as
// qemu-server's Cloudinit.pm writes them for the release.
//
// qemu-server keeps the values the current image was generated from in the
// config's [special:cloudinit] section while they differ. The simulator
// keeps the same thing per guest: the cloud-init relevant keys as they were
// before the first change since the last generation; no record means the
// image is in sync with the config.
type cloudinitState struct {
	generated map[*guest]map[string]string
}

func (st *state) cloudinit() *cloudinitState {
	if st.ciS == nil {
		st.ciS = &cloudinitState{generated: map[*guest]map[string]string{}}
	}
	return st.ciS
}

// cloudinitPendingKey is cloudinit_pending_properties: the cloud-init
// options, ipconfigN, netN and name.
func cloudinitPendingKey(k string) bool {
	switch k {
	case "cicustom", "cipassword", "citype", "ciuser", "ciupgrade", "nameserver", "searchdomain", "sshkeys", "name":
		return true
	}
	return isIndexed(k, "ipconfig") || isIndexed(k, "net")
}

func cloudinitKeys(conf map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range conf {
		if cloudinitPendingKey(k) {
			out[k] = v
		}
	}
	return out
}

// cloudinitBeforeUpdate runs before a config update is written: the first
// change since the image was generated records the generated values, and
// a new cipassword is stored hashed as qemu-server does (not for Windows,
// whose cloudbase-init needs it plain).
func (st *state) cloudinitBeforeUpdate(g *guest, set map[string]string) {
	if !g.kind.isQemu() {
		return
	}
	cs := st.cloudinit()
	if _, ok := cs.generated[g]; !ok {
		cs.generated[g] = cloudinitKeys(g.conf)
	}
	if pw, ok := set["cipassword"]; ok && !windowsOS(g.conf["ostype"]) && !cryptRe.MatchString(pw) {
		set["cipassword"] = encryptPW(pw, g.vmid)
	}
}

// cloudinitGenerated marks the image as generated from the current config
// (VM start, PUT .../cloudinit).
func (st *state) cloudinitGenerated(g *guest) {
	delete(st.cloudinit().generated, g)
}

var cryptRe = regexp.MustCompile(`^\$(?:[156]|2[ay])(\$.+){2}`)

// cloudinitDrive finds the guest's cloud-init drive: its key and volid.
func cloudinitDrive(g *guest) (string, string) {
	if g == nil {
		return "", ""
	}
	for _, k := range sortedKeys(g.conf) {
		if !g.kind.diskSlot(k) || isIndexed(k, "unused") {
			continue
		}
		if file := parsePropString(g.conf[k], "file").get("file"); isCloudinitVolume(file) {
			return k, file
		}
	}
	return "", ""
}

// cloudinitOptions are the keys GET .../cloudinit lists with their value.
func (s *Sim) cloudinitOptions() []string {
	if s.major() < 8 {
		return []string{"cicustom", "cipassword", "citype", "ciuser", "nameserver", "searchdomain", "sshkeys"}
	}
	return []string{"cicustom", "cipassword", "ciupgrade", "citype", "ciuser", "nameserver", "searchdomain", "sshkeys"}
}

func (s *Sim) cloudinitPending(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	cur := cloudinitKeys(g.conf)
	gen, recorded := c.st.cloudinit().generated[g]
	if !recorded {
		gen = cur
	}
	var added, changed, deleted []string
	for _, k := range sortedKeys(cur) {
		if old, ok := gen[k]; !ok {
			added = append(added, k)
		} else if old != cur[k] {
			changed = append(changed, k)
		}
	}
	for _, k := range sortedKeys(gen) {
		if _, ok := cur[k]; !ok {
			deleted = append(deleted, k)
		}
	}
	mask := func(k, v string) string {
		if k == "cipassword" {
			return "**********"
		}
		return v
	}
	if s.major() < 8 {
		// 7.x answers an object keyed by option, {old, new}
		res := map[string]any{}
		for _, k := range added {
			res[k] = map[string]any{"new": mask(k, cur[k])}
		}
		for _, k := range changed {
			res[k] = map[string]any{"old": mask(k, gen[k]), "new": mask(k, cur[k])}
		}
		for _, k := range deleted {
			res[k] = map[string]any{"old": mask(k, gen[k])}
		}
		return res, nil
	}
	out := []map[string]any{}
	isAdded := map[string]bool{}
	for _, k := range added {
		isAdded[k] = true
		out = append(out, map[string]any{"key": k, "pending": mask(k, cur[k])})
	}
	for _, k := range s.cloudinitOptions() {
		v, ok := cur[k]
		if !ok || v == "" || isAdded[k] {
			continue
		}
		item := map[string]any{"key": k, "value": mask(k, v)}
		if old := gen[k]; old != v {
			item["value"], item["pending"] = mask(k, old), mask(k, v)
		}
		out = append(out, item)
	}
	for _, k := range deleted {
		out = append(out, map[string]any{"key": k, "delete": 1})
	}
	return out, nil
}

// cloudinitUpdate regenerates the drive: without a cloud-init drive there
// is nothing to do (vmconfig_update_cloudinit_drive returns quietly).
func (s *Sim) cloudinitUpdate(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if err := lockError(g); err != nil {
		return nil, err
	}
	if _, volid := cloudinitDrive(g); volid != "" {
		c.st.ensureCloudinitVolume(g, volid, c.now)
		c.st.cloudinitGenerated(g)
	}
	return nil, nil
}

// ensureCloudinitVolume allocates the 4 MiB image when it is missing, as
// commit_cloudinit_disk does.
func (st *state) ensureCloudinitVolume(g *guest, volid string, now time.Time) {
	if st.findVolume(g.node, volid) != nil {
		return
	}
	sid, _, _ := strings.Cut(volid, ":")
	if st.storageOn(g.node, sid) == nil {
		return
	}
	format := "raw"
	if strings.HasSuffix(volid, ".qcow2") {
		format = "qcow2"
	}
	st.addVolume(g.node, &volume{volid: volid, content: "images", format: format, size: 4 << 20, vmid: g.vmid, ctime: now.Unix()})
}

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
	b.WriteString("#cloud-config\nhostname: " + host + "\nmanage_etc_hosts: true\nfqdn: " + fqdn + "\n")
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
		if k, err := url.PathUnescape(keys); err == nil {
			keys = k
		}
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

// cloudinitStarted is the VM start: a cloud-init drive is regenerated.
func (st *state) cloudinitStarted(g *guest, now time.Time) {
	if _, volid := cloudinitDrive(g); volid != "" {
		st.ensureCloudinitVolume(g, volid, now)
		st.cloudinitGenerated(g)
	}
}

// newCloudinitDrive tells whether a qemu drive value asks for a new
// cloud-init drive ("local-lvm:cloudinit") and on which storage.
func newCloudinitDrive(kind guestKind, file, defStorage string) (string, bool) {
	if !kind.isQemu() {
		return "", false
	}
	if file == "cloudinit" {
		return defStorage, true
	}
	sid, volname, ok := parseVolumeID(file)
	if !ok || volname != "cloudinit" {
		return "", false
	}
	return sid, true
}

// allocCloudinit creates a cloud-init drive's 4 MiB volume, vm-N-cloudinit
// (qcow2 on file storages), as create_disks does, and returns its volid,
// the drive string and the log lines.
func (st *state) allocCloudinit(nodeName string, vmid int, pl *diskPlan, now time.Time) (string, string, []string, error) {
	if g := st.guests[vmid]; g != nil {
		if k, _ := cloudinitDrive(g); k != "" && k != pl.key {
			return "", "", nil, fmt.Errorf("%s - cloud-init drive is already attached at '%s'", pl.key, k)
		}
	}
	ns := st.storageOn(nodeName, pl.cloudinit)
	if ns == nil {
		return "", "", nil, fmt.Errorf("storage '%s' does not exist", pl.cloudinit)
	}
	format := pl.prop.get("format")
	volid := fmt.Sprintf("%s:vm-%d-cloudinit", pl.cloudinit, vmid)
	line := fmt.Sprintf("  Logical volume \"vm-%d-cloudinit\" created.", vmid)
	if fileBased(ns.def.typ) {
		if format == "" {
			format = "qcow2"
		}
		volid = fmt.Sprintf("%s:%d/vm-%d-cloudinit.%s", pl.cloudinit, vmid, vmid, format)
		line = fmt.Sprintf("Formatting '%s/images/%d/vm-%d-cloudinit.%s', fmt=%s size=4194304", ns.def.path, vmid, vmid, format, format)
	} else if format == "" {
		format = "raw"
	}
	if ns.vols[volid] != nil {
		return "", "", nil, fmt.Errorf("unable to create volume '%s' - already exists", volid)
	}
	ns.vols[volid] = &volume{volid: volid, content: "images", format: format, size: 4 << 20, vmid: vmid, ctime: now.Unix()}
	pl.prop.del("format")
	pl.prop.set("file", volid)
	pl.prop.set("media", "cdrom")
	drive := pl.prop.String()
	return volid, drive, []string{line, fmt.Sprintf("%s: successfully created disk '%s'", pl.key, drive)}, nil
}
