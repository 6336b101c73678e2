package pvesim

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// The report commands of the guest (df, free, uptime, ip): their output is
// computed from the same model as the agent's structured replies.

// human is df/free -h: powers of 1024, rounded up, one decimal below 10.
func human(b int64, suffix string) string {
	if b < 1024 {
		if suffix != "" {
			return strconv.FormatInt(b, 10) + "B"
		}
		return strconv.FormatInt(b, 10)
	}
	v := float64(b)
	units := "KMGTP"
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 10 {
		if r := math.Ceil(v*10) / 10; r < 10 {
			return strconv.FormatFloat(r, 'f', 1, 64) + string(units[i]) + suffix
		}
	}
	return strconv.FormatFloat(math.Ceil(v), 'f', 0, 64) + string(units[i]) + suffix
}

func progDf(_ *call, os *guestOS, args []string, _ string) guestProc {
	h := len(args) > 0 && strings.Contains(args[0], "h")
	if os.g.kind.isLXC() {
		return progDfCT(os, h)
	}
	mem := os.g.maxMem()
	type row struct {
		fs, mount   string
		total, used int64
		reserved    int64
	}
	rows := []row{{"udev", "/dev", mem / 2, 0, 0}, {"tmpfs", "/run", mem / 10, 540 << 10, 0}}
	var rest []row
	for _, f := range os.filesystems() {
		r := row{fs: f.dev, mount: f.mount, total: f.total, used: f.used}
		if f.typ == "ext4" {
			r.reserved = f.total / 20
			rows = append(rows, r)
		} else {
			rest = append(rest, r)
		}
	}
	rows = append(rows, row{"tmpfs", "/dev/shm", mem / 2, 0, 0}, row{"tmpfs", "/run/lock", 5 << 20, 0, 0})
	rows = append(rows, rest...)
	rows = append(rows, row{"tmpfs", "/run/user/0", mem / 10, 0, 0})
	var b strings.Builder
	if h {
		b.WriteString("Filesystem      Size  Used Avail Use% Mounted on\n")
	} else {
		b.WriteString("Filesystem     1K-blocks    Used Available Use% Mounted on\n")
	}
	for _, r := range rows {
		avail := r.total - r.used - r.reserved
		pct := int64(0)
		if r.used+avail > 0 {
			pct = (r.used*100 + r.used + avail - 1) / (r.used + avail)
		}
		if h {
			fmt.Fprintf(&b, "%-15s %4s %5s %5s %3d%% %s\n", r.fs, human(r.total, ""), human(r.used, ""), human(avail, ""), pct, r.mount)
		} else {
			fmt.Fprintf(&b, "%-14s %10d %7d %9d %3d%% %s\n", r.fs, r.total/1024, r.used/1024, avail/1024, pct, r.mount)
		}
	}
	return guestProc{out: b.String()}
}

// memUse is the guest's view of its memory: total after the kernel's
// reservation, used and cache adding up to what the node reports.
func (os *guestOS) memUse() (total, used, cache int64) {
	total = os.g.maxMem() - os.g.maxMem()/20
	inUse := int64(float64(os.g.maxMem()) * (0.35 + os.g.load))
	return total, inUse * 6 / 10, inUse * 4 / 10
}

func progFree(_ *call, os *guestOS, args []string, _ string) guestProc {
	total, used, cache := os.memUse()
	free := total - used - cache
	shared := int64(1200 << 10)
	swap := int64(975 << 20)
	f := func(b int64) string { return strconv.FormatInt(b/1024, 10) }
	if len(args) > 0 {
		switch args[0] {
		case "-h":
			f = func(b int64) string { return human(b, "i") }
		case "-m":
			f = func(b int64) string { return strconv.FormatInt(b>>20, 10) }
		}
	}
	var b strings.Builder
	b.WriteString("               total        used        free      shared  buff/cache   available\n")
	fmt.Fprintf(&b, "Mem:      %10s  %10s  %10s  %10s  %10s  %10s\n", f(total), f(used), f(free), f(shared), f(cache), f(total-used))
	zero := f(0)
	if len(args) > 0 && args[0] == "-h" {
		zero = "0B"
	}
	fmt.Fprintf(&b, "Swap:     %10s  %10s  %10s\n", f(swap), zero, f(swap))
	return guestProc{out: b.String()}
}

func progUptime(c *call, os *guestOS, _ []string, _ string) guestProc {
	up := int64(c.now.Sub(os.booted).Seconds())
	days, hours, mins := up/86400, up%86400/3600, up%3600/60
	var since string
	switch {
	case days > 0:
		unit := "days"
		if days == 1 {
			unit = "day"
		}
		since = fmt.Sprintf("%d %s, %2d:%02d", days, unit, hours, mins)
	case hours > 0:
		since = fmt.Sprintf("%2d:%02d", hours, mins)
	default:
		since = fmt.Sprintf("%d min", mins)
	}
	n := len(os.users(c.now))
	users := "users"
	if n == 1 {
		users = "user"
	}
	l := os.g.load * float64(os.g.cpus())
	return guestProc{out: fmt.Sprintf(" %s up %s,  %d %s,  load average: %.2f, %.2f, %.2f\n",
		c.now.UTC().Format("15:04:05"), since, n, users, l, l*0.8, l*0.6)}
}

func progIP(c *call, os *guestOS, args []string, _ string) guestProc {
	brief := false
	var rest []string
	for _, a := range args {
		if a == "-br" || a == "-brief" || a == "--brief" {
			brief = true
		} else {
			rest = append(rest, a)
		}
	}
	if len(rest) > 0 && (rest[0] == "r" || rest[0] == "route") {
		return ipRoute(c, os)
	}
	if len(rest) == 0 || (rest[0] != "a" && rest[0] != "addr" && rest[0] != "address") {
		obj := "help"
		if len(rest) > 0 {
			obj = rest[0]
		}
		return guestProc{code: 1, err: "Object \"" + obj + "\" is unknown, try \"ip help\".\n"}
	}
	lo := guestNIC{name: "lo", mac: "00:00:00:00:00:00", ipv4: "127.0.0.1/8", ipv6: []string{"::1/128"}}
	nics := append([]guestNIC{lo}, c.st.nics(os.g, false)...)
	var b strings.Builder
	for i, n := range nics {
		state := "UP"
		if n.name == "lo" {
			state = "UNKNOWN"
		} else if n.down {
			state = "DOWN"
		}
		addrs := n.ipv6
		if n.ipv4 != "" {
			addrs = append([]string{n.ipv4}, n.ipv6...)
		}
		if brief {
			fmt.Fprintf(&b, "%-16s %-14s ", n.name, state)
			for _, a := range addrs {
				b.WriteString(a + " ")
			}
			b.WriteString("\n")
			continue
		}
		if n.name == "lo" {
			b.WriteString("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n" +
				"    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n")
		} else if os.g.kind.isLXC() {
			// a veth whose peer is on the node: eth0@ifN, in its own netns
			fmt.Fprintf(&b, "%d: %s@if%d: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state %s group default qlen 1000\n"+
				"    link/ether %s brd ff:ff:ff:ff:ff:ff link-netnsid 0\n", i+1, n.name, 10+os.g.vmid%50+i, state, n.mac)
		} else {
			flags := "BROADCAST,MULTICAST,UP,LOWER_UP"
			if n.down {
				flags = "NO-CARRIER,BROADCAST,MULTICAST,UP"
			}
			fmt.Fprintf(&b, "%d: %s: <%s> mtu 1500 qdisc fq_codel state %s group default qlen 1000\n"+
				"    link/ether %s brd ff:ff:ff:ff:ff:ff\n    altname enp0s%s\n", i+1, n.name, flags, state, n.mac, strings.TrimPrefix(n.name, "ens"))
		}
		for _, a := range addrs {
			scope := "global"
			switch {
			case n.name == "lo":
				scope = "host"
			case strings.HasPrefix(a, "fe80:"):
				scope = "link"
			}
			if strings.Contains(a, ":") {
				fmt.Fprintf(&b, "    inet6 %s scope %s \n       valid_lft forever preferred_lft forever\n", a, scope)
				continue
			}
			brd := ""
			if p, err := netip.ParsePrefix(a); err == nil && n.name != "lo" {
				v := p.Masked().Addr().As4()
				for k := p.Bits(); k < 32; k++ {
					v[k/8] |= 1 << (7 - k%8)
				}
				brd = " brd " + netip.AddrFrom4(v).String()
			}
			fmt.Fprintf(&b, "    inet %s%s scope %s %s\n       valid_lft forever preferred_lft forever\n", a, brd, scope, n.name)
		}
	}
	return guestProc{out: b.String()}
}

func progIPConfig(c *call, os *guestOS, _ []string, _ string) guestProc {
	var b strings.Builder
	b.WriteString("\r\nWindows IP Configuration\r\n\r\n")
	for _, n := range c.st.nics(os.g, true) {
		fmt.Fprintf(&b, "\r\nEthernet adapter %s:\r\n\r\n   Connection-specific DNS Suffix  . : \r\n", n.name)
		for _, v6 := range n.ipv6 {
			a, _ := splitCIDR(v6)
			fmt.Fprintf(&b, "   Link-local IPv6 Address . . . . . : %s%%4\r\n", a)
		}
		if n.ipv4 != "" {
			p, _ := netip.ParsePrefix(n.ipv4)
			mask := netip.AddrFrom4([4]byte{})
			if p.IsValid() {
				var m [4]byte
				for k := 0; k < p.Bits(); k++ {
					m[k/8] |= 1 << (7 - k%8)
				}
				mask = netip.AddrFrom4(m)
			}
			fmt.Fprintf(&b, "   IPv4 Address. . . . . . . . . . . : %s\r\n   Subnet Mask . . . . . . . . . . . : %s\r\n",
				p.Addr(), mask)
		}
		fmt.Fprintf(&b, "   Default Gateway . . . . . . . . . : %s\r\n", c.st.gateway(os.g))
	}
	return guestProc{out: b.String()}
}

// ipRoute is `ip r`: the DHCP default route through the first network's
// gateway, and each connected subnet.
func ipRoute(c *call, os *guestOS) guestProc {
	var b strings.Builder
	for i, n := range c.st.nics(os.g, false) {
		if n.ipv4 == "" {
			continue
		}
		p, err := netip.ParsePrefix(n.ipv4)
		if err != nil {
			continue
		}
		src := p.Addr().String()
		if gw := c.st.gateway(os.g); i == 0 && gw != "" {
			fmt.Fprintf(&b, "default via %s dev %s proto dhcp src %s metric 100 \n", gw, n.name, src)
		}
		fmt.Fprintf(&b, "%s dev %s proto kernel scope link src %s metric 100 \n", p.Masked(), n.name, src)
	}
	return guestProc{out: b.String()}
}
