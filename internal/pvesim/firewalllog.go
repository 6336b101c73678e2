package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// fwLogLine is one line of /var/log/pve-firewall.log on a node.
type fwLogLine struct {
	at   time.Time
	text string
}

var fwLogLevels = map[string]int{"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4,
	"notice": 5, "info": 6, "debug": 7}

// fwLogTime is pvefw-logger's time stamp.
func fwLogTime(t time.Time) string { return t.UTC().Format("02/Jan/2006:15:04:05 -0700") }

// fwNodeLog is what the logger wrote on the node: its start at boot and,
// while the cluster firewall is on, the dropped packets of guests whose
// firewall is on with a log level for incoming traffic (every few minutes,
// deterministic per guest).
func (s *Sim) fwNodeLog(c *call, nodeName string) []fwLogLine {
	n := c.st.node(nodeName)
	lines := []fwLogLine{{at: n.boot, text: "0 5 - " + fwLogTime(n.boot) + " starting pvefw logger"}}
	f := c.st.fw()
	cl := f.cluster
	if en := atoi64Default(cl.options["enable"], 0); en == 0 || (en > 1 && c.now.Unix()-en > 60) {
		return lines
	}
	host := f.host(nodeName)
	if lvl, ok := fwLogLevels[host.options["log_level_in"]]; ok && host.options["enable"] != "0" {
		lines = append(lines, fwDropLines(c, cl.enabledAt, n.boot, 0, lvl, "PVEFW-HOST-IN", n.ip, 13)...)
	}
	for _, g := range c.st.sortedGuests() {
		conf := f.guests[g.vmid]
		if g.node != nodeName || conf == nil || conf.options["enable"] != "1" {
			continue
		}
		lvl, ok := fwLogLevels[conf.options["log_level_in"]]
		if !ok || conf.options["policy_in"] == "ACCEPT" {
			continue
		}
		since := conf.enabledAt
		if since.Before(cl.enabledAt) {
			since = cl.enabledAt
		}
		if g.startedAt.After(since) {
			since = g.startedAt
		}
		if !g.running {
			continue
		}
		chain := g.kind.nicDevice(g.vmid, 0) + "-IN"
		lines = append(lines, fwDropLines(c, since, n.boot, g.vmid, lvl, chain, fmt.Sprintf("192.168.1.%d", 100+g.vmid%100), 7+g.vmid%5)...)
	}
	sortLogLines(lines)
	return lines
}

func sortLogLines(ls []fwLogLine) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].at.Before(ls[j-1].at); j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// fwDropLines are policy DROP lines from since until now, one every
// period minutes, at most 40.
func fwDropLines(c *call, since, boot time.Time, vmid, lvl int, chain, dst string, period int) []fwLogLine {
	if since.Before(boot) {
		since = boot
	}
	var out []fwLogLine
	ports := []int{22, 3389, 23, 445, 5900, 8080}
	step := time.Duration(period) * time.Minute
	for i, t := 0, since.Add(step); !t.After(c.now) && i < 40; i, t = i+1, t.Add(step) {
		src := fmt.Sprintf("192.168.1.%d", 30+(vmid+i*7)%90)
		text := fmt.Sprintf("%d %d %s %s policy DROP: IN=fwbr%di0 OUT=fwbr%di0 PHYSIN=fwln%di0 PHYSOUT=tap%di0 SRC=%s DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=%d DF PROTO=TCP SPT=%d DPT=%d SEQ=%d ACK=0 WINDOW=64240 SYN",
			vmid, lvl, chain, fwLogTime(t), vmid, vmid, vmid, vmid, src, dst, 10000+(i*7919)%50000, 40000+(i*131)%20000, ports[(vmid+i)%len(ports)], 100000+i*104729)
		if vmid == 0 {
			text = fmt.Sprintf("0 %d %s %s policy DROP: IN=vmbr0 SRC=%s DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=%d DF PROTO=TCP SPT=%d DPT=%d SEQ=%d ACK=0 WINDOW=64240 SYN",
				lvl, chain, fwLogTime(t), src, dst, 10000+(i*7919)%50000, 40000+(i*131)%20000, ports[i%len(ports)], 100000+i*104729)
		}
		out = append(out, fwLogLine{at: t, text: text})
	}
	return out
}

// fwLog is dump_fw_logfile: lines numbered from 1, start/limit paging
// (a line is shown once its number reaches start), since/until by time
// stamp, a "no content" line when nothing matches, and the total.
func (s *Sim) fwLog(sc fwScope) handler {
	return func(c *call) (any, error) {
		all := s.fwNodeLog(c, c.params["node"])
		prefix := ""
		if sc.guest() {
			prefix = strconv.Itoa(c.vmid()) + " "
		}
		start := atoiDefault(c.params["start"], 0)
		limit := atoiDefault(c.params["limit"], 50)
		since, until := atoi64Default(c.params["since"], 0), atoi64Default(c.params["until"], 0)
		out := []map[string]any{}
		count := 0
		for _, l := range all {
			if !strings.HasPrefix(l.text, prefix) {
				continue
			}
			if (since > 0 && l.at.Unix() < since) || (until > 0 && l.at.Unix() > until) {
				continue
			}
			count++
			if count < start || limit <= 0 {
				continue
			}
			out = append(out, map[string]any{"n": count, "t": l.text})
			limit--
		}
		if count == 0 {
			count = 1
			out = append(out, map[string]any{"n": 1, "t": "no content"})
		}
		c.total = count
		return out, nil
	}
}
