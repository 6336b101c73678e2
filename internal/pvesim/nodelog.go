package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// journalEntry is one record of a node's systemd journal.
type journalEntry struct {
	t     time.Time
	ident string // SYSLOG_IDENTIFIER ("kernel" has no pid)
	pid   int
	unit  string // systemd unit without ".service", for --unit
	msg   string
	seq   int
}

// runningKernel is the kernel release the node reports (as /nodes/{node}/status).
func (s *Sim) runningKernel() string {
	switch s.major() {
	case 7:
		return "5.15.158-2-pve"
	case 8:
		return "6.8.12-15-pve"
	}
	return "6.14.11-4-pve"
}

// daemonPID is the pid of a service's main process on the node.
func (ns *nodeSys) daemonPID(name string) int {
	if sv := ns.services[name]; sv != nil {
		return sv.pid
	}
	return 1
}

// journalOf builds the node's journal up to now: the boot, the hourly cron
// runs, the start and end of every task the node ran (pvedaemon logs them
// as "<user> starting task UPID" / "<user> end task UPID status") and what
// the simulator's actions logged; in time order, numbered.
func (c *call) journalOf(nodeName string) []journalEntry {
	n := c.st.node(nodeName)
	ns := c.sys(nodeName)
	var out []journalEntry
	add := func(t time.Time, ident string, pid int, unit, msg string) {
		out = append(out, journalEntry{t: t, ident: ident, pid: pid, unit: unit, msg: msg})
	}
	b := n.boot
	kern := c.s.runningKernel()
	add(b, "kernel", 0, "", "Linux version "+kern+" (build@proxmox) #1 SMP PREEMPT_DYNAMIC PMX "+strings.TrimSuffix(kern, "-pve"))
	add(b, "kernel", 0, "", "Command line: BOOT_IMAGE=/boot/vmlinuz-"+kern+" root=/dev/mapper/pve-root ro quiet")
	add(b.Add(2*time.Second), "systemd", 1, "", "Detected architecture x86-64.")
	add(b.Add(2*time.Second), "systemd", 1, "", "Hostname set to <"+n.name+">.")
	for _, name := range sortedKeys(ns.services) {
		sv := ns.services[name]
		if sv.def.unit == "not-found" {
			continue
		}
		at := b.Add(4*time.Second + time.Duration(len(out))*40*time.Millisecond)
		label := unitName(name) + " - " + sv.def.desc
		if c.s.major() < 8 {
			label = sv.def.desc
		}
		add(at, "systemd", 1, strings.TrimSuffix(unitName(name), ".service"), "Started "+label+".")
	}
	for _, d := range []string{"pvedaemon", "pveproxy"} {
		pid := ns.daemonPID(d)
		at := b.Add(5 * time.Second)
		add(at, d, pid, d, "starting server")
		add(at, d, pid, d, "starting 3 worker(s)")
		for w := 1; w <= 3; w++ {
			add(at, d, pid, d, fmt.Sprintf("worker %d started", pid+w))
		}
	}
	add(b.Add(6*time.Second), "pmxcfs", ns.daemonPID("pve-cluster"), "pve-cluster",
		fmt.Sprintf("[status] notice: update cluster info (cluster name  %s, version = %d)", c.st.clusterName, len(c.st.nodes)))
	// hourly cron
	h := b.Truncate(time.Hour).Add(17*time.Minute + time.Second)
	for i := 0; !h.After(c.now); i++ {
		if h.After(b) {
			pid := 100000 + (i*7919)%800000
			add(h, "CRON", pid, "cron", "pam_unix(cron:session): session opened for user root(uid=0) by root(uid=0)")
			add(h, "CRON", pid+1, "cron", "(root) CMD (cd / && run-parts --report /etc/cron.hourly)")
			add(h, "CRON", pid, "cron", "pam_unix(cron:session): session closed for user root")
		}
		h = h.Add(time.Hour)
	}
	daemon := ns.daemonPID("pvedaemon")
	for _, t := range c.st.tasks {
		if t.node != nodeName || t.removed {
			continue
		}
		worker := daemon + 1 + int(t.pid)%3
		add(t.start, "pvedaemon", worker, "pvedaemon", fmt.Sprintf("<%s> starting task %s", t.user, t.upid))
		if f, ok := workerSyslog[t.typ]; ok {
			add(t.start.Add(time.Millisecond), "pvedaemon", int(t.pid), "pvedaemon", fmt.Sprintf(f, t.id, t.upid))
		}
		if t.done {
			add(t.end, "pvedaemon", worker, "pvedaemon", fmt.Sprintf("<%s> end task %s %s", t.user, t.upid, t.exit))
		}
	}
	out = append(out, ns.events...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].t.Before(out[j].t) })
	vis := out[:0]
	for _, e := range out {
		if !e.t.After(c.now) {
			vis = append(vis, e)
		}
	}
	for i := range vis {
		vis[i].seq = i + 1
	}
	return vis
}

// workerSyslog: what some workers syslog when they start (id, UPID).
var workerSyslog = map[string]string{
	"qmstart":    "start VM %s: %s",
	"qmstop":     "stop VM %s: %s",
	"qmshutdown": "shutdown VM %s: %s",
	"qmreboot":   "requesting reboot of VM %s: %s",
	"vzstart":    "starting CT %s: %s",
	"vzstop":     "stopping CT %s: %s",
	"vzshutdown": "shutdown CT %s: %s",
}

// line renders an entry as journalctl -o short (and mini-journalreader) do.
func (e journalEntry) line(host string, loc *time.Location) string {
	ts := e.t.In(loc).Format("Jan 02 15:04:05")
	if e.ident == "kernel" || e.pid == 0 {
		return fmt.Sprintf("%s %s %s: %s", ts, host, e.ident, e.msg)
	}
	return fmt.Sprintf("%s %s %s[%d]: %s", ts, host, e.ident, e.pid, e.msg)
}

// cursor is the entry's journal cursor (sd_journal_get_cursor's format).
func (e journalEntry) cursor(n *node) string {
	return fmt.Sprintf("s=%s;i=%x;b=%s;m=%x;t=%x;x=%s", nodeSHA1("seqnum " + n.name)[:32], e.seq,
		nodeSHA1(fmt.Sprintf("boot %s %d", n.name, n.boot.Unix()))[:32], e.t.Sub(n.boot).Microseconds(),
		e.t.UnixMicro(), nodeSHA1(fmt.Sprintf("%s %d %s", n.name, e.seq, e.msg))[:16])
}

var cursorSeqRe = lazyre.New(`(?:^|;)i=([0-9a-f]+)(?:;|$)`)

// cursorSeq finds the entry a cursor points to (0 when it is not one).
func cursorSeq(cur string, list []journalEntry) (int, bool) {
	m := cursorSeqRe.FindStringSubmatch(cur)
	if m == nil || !strings.HasPrefix(cur, "s=") {
		return 0, false
	}
	seq, err := strconv.ParseInt(m[1], 16, 64)
	if err != nil {
		return 0, false
	}
	// a cursor past the end seeks to the end, like an entry rotated out seeks to the start
	return min(max(int(seq), 1), len(list)), true
}

// journal is mini-journalreader's output: the first printed entry's cursor,
// the lines, then the cursor of the position the reader stopped at.
func (s *Sim) nodeJournal(c *call) (any, error) {
	node := c.params["node"]
	n := c.st.node(node)
	loc := c.sys(node).location()
	list := c.journalOf(node)
	if err := s.journalConflicts(c); err != nil {
		return nil, err
	}
	lo, hi := 0, len(list) // entries [lo, hi) are printed
	if v := c.params["until"]; v != "" && v != "0" {
		end := time.Unix(atoi64Default(v, 0), 0)
		hi = sort.Search(len(list), func(i int) bool { return !list[i].t.Before(end) })
	}
	if v := c.params["endcursor"]; v != "" {
		seq, ok := cursorSeq(v, list)
		if !ok {
			return nil, failf("Failed to seek to end/cursor: Invalid argument")
		}
		hi = min(hi, seq-1)
	}
	startCur := false
	switch {
	case atoiDefault(c.params["lastentries"], 0) > 0:
		lo = max(hi-atoiDefault(c.params["lastentries"], 0), 0)
	case c.params["since"] != "" && c.params["since"] != "0":
		begin := time.Unix(atoi64Default(c.params["since"], 0), 0)
		lo = sort.Search(len(list), func(i int) bool { return !list[i].t.Before(begin) })
	case c.params["startcursor"] != "":
		seq, ok := cursorSeq(c.params["startcursor"], list)
		if !ok {
			return nil, failf("Failed to seek to begin/cursor: Invalid argument")
		}
		lo = seq // the entry after the cursor's
		startCur = true
	}
	out := []string{}
	if len(list) == 0 {
		return out, nil
	}
	if startCur {
		out = append(out, list[lo-1].cursor(n))
	} else if lo < hi {
		out = append(out, list[lo].cursor(n))
	}
	for i := lo; i < hi; i++ {
		out = append(out, list[i].line(node, loc))
	}
	last := len(list) - 1
	if hi < len(list) {
		last = hi
	}
	out = append(out, list[last].cursor(n))
	return out, nil
}

// journalConflicts: mini-journalreader refuses -n with a range, -b with -f
// and -e with -t (a usage error, exit code 1).
func (s *Sim) journalConflicts(c *call) error {
	set := func(k string) bool { v := c.params[k]; return v != "" && v != "0" }
	if !(set("lastentries") && (set("since") || set("startcursor"))) && !(set("since") && set("startcursor")) &&
		!(set("until") && set("endcursor")) {
		return nil
	}
	cmd := "/usr/bin/mini-journalreader"
	if s.major() >= 8 {
		cmd += " -j"
	}
	for _, o := range []struct{ flag, key string }{{"-n", "lastentries"}, {"-b", "since"}, {"-e", "until"}, {"-f", "startcursor"}, {"-t", "endcursor"}} {
		if set(o.key) {
			v := c.params[o.key]
			if o.flag == "-f" || o.flag == "-t" {
				v = "'" + v + "'"
			}
			cmd += " " + o.flag + " " + v
		}
	}
	return failf("command '%s' failed: exit code 1", cmd)
}

var syslogTimeRe = lazyre.New(`^(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2})(:\d{2})?)?$`)

func parseSyslogTime(v string, loc *time.Location) (time.Time, bool) {
	m := syslogTimeRe.FindStringSubmatch(v)
	if m == nil {
		return time.Time{}, false
	}
	s, layout := m[1], "2006-01-02"
	if m[2] != "" {
		s += " " + m[2] + m[3]
		layout += " 15:04"
		if m[3] != "" {
			layout += ":05"
		}
	}
	t, err := time.ParseInLocation(layout, s, loc)
	return t, err == nil
}

// syslog is journalctl -o short, paged by start/limit (total = all lines),
// with "no content" when nothing matches.
func (s *Sim) nodeSyslog(c *call) (any, error) {
	node := c.params["node"]
	loc := c.sys(node).location()
	unit := ""
	if v := c.params["service"]; v != "" {
		unit = strings.TrimSuffix(unitName(strings.TrimSuffix(v, ".service")), ".service")
	}
	var since, until time.Time
	var ok bool
	if v := c.params["since"]; v != "" {
		if since, ok = parseSyslogTime(v, loc); !ok {
			return nil, failf("command 'journalctl -o short --no-pager --since '%s'' failed: exit code 1", v)
		}
	}
	if v := c.params["until"]; v != "" {
		if until, ok = parseSyslogTime(v, loc); !ok {
			return nil, failf("command 'journalctl -o short --no-pager --until '%s'' failed: exit code 1", v)
		}
	}
	start := atoiDefault(c.params["start"], 0)
	limit := atoiDefault(c.params["limit"], 0)
	if limit == 0 {
		limit = 50
	}
	out := []map[string]any{}
	count := 0
	for _, e := range c.journalOf(node) {
		if (unit != "" && e.unit != unit) || (!since.IsZero() && e.t.Before(since)) || (!until.IsZero() && e.t.After(until)) {
			continue
		}
		count++
		if count <= start || limit <= 0 {
			continue
		}
		out = append(out, map[string]any{"n": count, "t": e.line(node, loc)})
		limit--
	}
	if count == 0 {
		count = 1
		out = append(out, map[string]any{"n": 1, "t": "no content"})
	}
	c.total = count
	return out, nil
}
