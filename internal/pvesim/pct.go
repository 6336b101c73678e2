package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pct on a node, as far as `pct exec` goes: the SSH endpoint (sshd.go) runs
// the command line a client sends through a POSIX shell's word splitting,
// and pct exec runs its argv in the container's model (guestOS, shared with
// the guest agent's exec).

// ctProc is a finished command of the node's shell; wait is how long it
// runs (sleep) before it exits.
type ctProc struct {
	out, err string
	code     int
	wait     time.Duration
}

// nodeCommand runs a command line the node's shell got over SSH.
func (s *Sim) nodeCommand(node, line string) ctProc {
	words, err := shellWords(line)
	if err != nil {
		return ctProc{code: 2, err: "bash: " + err.Error() + "\n"}
	}
	if len(words) == 0 {
		return ctProc{}
	}
	switch words[0] {
	case "pct", "/usr/sbin/pct":
	default:
		return ctProc{code: 127, err: "bash: line 1: " + words[0] + ": command not found\n"}
	}
	if len(words) < 2 || words[1] != "exec" {
		return ctProc{code: 255, err: "pvesim: only 'pct exec' is simulated\n"}
	}
	args := words[2:]
	if len(args) == 0 {
		return ctProc{code: 255, err: "400 not enough arguments\npct exec <vmid> [<extra-args>] [OPTIONS]\n"}
	}
	vmid, err := strconv.Atoi(args[0])
	if err != nil || vmid < 100 || vmid > 999999999 {
		return ctProc{code: 255, err: "400 Parameter verification failed.\nvmid: invalid format - value does not look like a valid VM ID\n\n" +
			"pct exec <vmid> [<extra-args>] [OPTIONS]\n"}
	}
	argv := args[1:]
	if len(argv) > 0 && argv[0] == "--" {
		argv = argv[1:]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	g := s.st.guests[vmid]
	if g == nil || g.node != node || !g.kind.isLXC() {
		return ctProc{code: 255, err: fmt.Sprintf("Configuration file 'nodes/%s/lxc/%d.conf' does not exist\n", node, vmid)}
	}
	if !g.running {
		return ctProc{code: 255, err: fmt.Sprintf("container '%d' not running!\n", vmid)}
	}
	if len(argv) == 0 {
		return ctProc{code: 255, err: "missing command at /usr/share/perl5/PVE/CLI/pct.pm line 246.\n"}
	}
	c := &call{s: s, st: s.st, now: s.now()}
	if a := s.st.agent(); a.guests[vmid] == nil || a.guests[vmid].g != g {
		a.guests[vmid] = newContainerOS(g, s.runningKernel())
	}
	os := s.st.guestOS(g)
	r, found := os.run(c, argv, "")
	if !found {
		// lxc-attach's exec failure: ENOENT exits 127
		return ctProc{code: 127, err: fmt.Sprintf("lxc-attach: %d: ../src/lxc/attach.c: lxc_attach_run_command: 1845 "+
			"No such file or directory - Failed to exec \"%s\"\n", vmid, argv[0])}
	}
	return ctProc{out: r.out, err: r.err, code: r.code, wait: r.dur}
}

// shellWords splits a command line as a POSIX shell does for a simple
// command: blanks separate words, quotes and backslashes quote. Anything
// the shell would read as syntax (; | & < > $ ` and the like, unquoted) is
// refused, so a client that forgets to quote shows up in tests.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unexpected EOF while looking for matching `''")
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				switch line[j] {
				case '\\':
					if j+1 < len(line) && strings.IndexByte("$`\"\\\n", line[j+1]) >= 0 {
						j++
					}
				case '$', '`':
					return nil, fmt.Errorf("pvesim: expansion in double quotes is not simulated")
				}
				cur.WriteByte(line[j])
			}
			if j >= len(line) {
				return nil, fmt.Errorf("unexpected EOF while looking for matching `\"'")
			}
			i = j
			inWord = true
		case ch == '\\':
			if i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			}
			inWord = true
		case strings.IndexByte(";&|<>()$`*?[{}\n", ch) >= 0 || !inWord && (ch == '#' || ch == '~'):
			return nil, fmt.Errorf("pvesim: unquoted shell syntax %q is not simulated (quote every word)", string(ch))
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// newContainerOS is a container's system: its hostname and distribution
// from the config, the node's kernel.
func newContainerOS(g *guest, kernel string) *guestOS {
	os := &guestOS{g: g, files: map[string][]byte{}, dirs: map[string]bool{}}
	d := *debian12
	switch g.conf["ostype"] {
	case "ubuntu":
		d = *ubuntu2404
	case "alpine":
		d = *alpine321
	}
	d.kernelRel, d.kernelVer = kernel, "#1 SMP PREEMPT_DYNAMIC PMX "+strings.TrimSuffix(kernel, "-pve")+" (2025-10-10T08:04Z)"
	os.dist = &d
	for _, dir := range []string{"/", "/bin", "/dev", "/etc", "/home", "/mnt", "/opt", "/proc", "/root",
		"/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/sbin", "/usr/local", "/var", "/var/log", "/var/tmp"} {
		os.dirs[dir] = true
	}
	host := lxcName(g)
	os.files["/etc/hostname"] = []byte(host + "\n")
	os.files["/etc/hosts"] = []byte("127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n" +
		"ff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n# --- BEGIN PVE ---\n127.0.1.1 " + host + "\n# --- END PVE ---\n")
	os.files["/etc/os-release"] = []byte(d.osRelease)
	if d.id == "debian" {
		os.files["/etc/debian_version"] = []byte("12.8\n")
	}
	return os
}

var alpine321 = &distro{id: "alpine", name: "Alpine Linux", pretty: "Alpine Linux v3.21", version: "3.21.2", versionID: "3.21.2",
	osRelease: "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.2\nPRETTY_NAME=\"Alpine Linux v3.21\"\n" +
		"HOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n"}

// progDfCT is df inside a container: its root volume as the node maps it,
// and the tmpfs mounts LXC sets up.
func progDfCT(os *guestOS, human bool) guestProc {
	g := os.g
	root := parsePropString(g.conf["rootfs"], "volume")
	size := sizeBytes(root.get("size"))
	vol := root.get("volume")
	dev := "/dev/mapper/pve-" + strings.ReplaceAll(vol[strings.Index(vol, ":")+1:], "-", "--")
	mem := g.maxMem()
	type row struct {
		fs, mount         string
		total, used, free int64
	}
	used := min(size*3/10, int64(600<<20)+int64(g.vmid%5)*(100<<20))
	rows := []row{
		{dev, "/", size - size/50, used, size - size/50 - used - size/20},
		{"none", "/dev", 492 << 10, 4 << 10, 488 << 10},
		{"tmpfs", "/dev/shm", mem, 0, mem},
		{"tmpfs", "/run", mem / 5 * 2, 84 << 10, mem/5*2 - 84<<10},
		{"tmpfs", "/run/lock", 5 << 20, 0, 5 << 20},
	}
	var b strings.Builder
	width := len(dev)
	if human {
		fmt.Fprintf(&b, "%-*s  Size  Used Avail Use%% Mounted on\n", width, "Filesystem")
	} else {
		fmt.Fprintf(&b, "%-*s 1K-blocks    Used Available Use%% Mounted on\n", width, "Filesystem")
	}
	for _, r := range rows {
		pct := int64(0)
		if r.used+r.free > 0 {
			pct = (r.used*100 + r.used + r.free - 1) / (r.used + r.free)
		}
		if human {
			fmt.Fprintf(&b, "%-*s %5s %5s %5s %3d%% %s\n", width, r.fs, humanSize(r.total), humanSize(r.used), humanSize(r.free), pct, r.mount)
		} else {
			fmt.Fprintf(&b, "%-*s %9d %7d %9d %3d%% %s\n", width, r.fs, r.total/1024, r.used/1024, r.free/1024, pct, r.mount)
		}
	}
	return guestProc{out: b.String()}
}

func humanSize(b int64) string {
	if b == 0 {
		return "0"
	}
	return human(b, "")
}
