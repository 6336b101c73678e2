package pvesim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// guestProc is a process started by guest-exec; exec-status reports it
// until it has been seen exited, then qemu-ga forgets it.
type guestProc struct {
	dur      time.Duration // how long it runs
	end      time.Time
	code     int
	signal   int // killed by it: no exit code then
	out, err string
}

// qgaMaxOutput is how much of each of stdout and stderr qemu-ga keeps
// (GUEST_EXEC_MAX_OUTPUT); the rest is dropped and marked truncated.
const qgaMaxOutput = 16 << 20

// agentExec is exec: the command runs in the guest's model at once (sleep
// takes its simulated time) and exec-status collects its output.
func (s *Sim) agentExec(c *call) (any, error) {
	os, err := c.agentOS("exec")
	if err != nil {
		return nil, err
	}
	argv := c.execArgv()
	input, hasInput := c.params["input-data"]
	if len(argv) == 0 && !hasInput {
		return nil, failf("command or input-data (or both) required")
	}
	if len(argv) == 0 {
		return nil, c.qgaFailed("exec", "Parameter 'path' is missing")
	}
	r, found := os.run(c, argv, input)
	if !found {
		return nil, c.qgaFailed("exec", "Guest agent command failed, error was 'Failed to execute child process “"+argv[0]+"” (No such file or directory)'")
	}
	pid := os.nextPID
	os.nextPID += 1 + len(argv)%3
	r.end = c.now.Add(r.dur)
	os.procs[pid] = &r
	return map[string]any{"pid": pid}, nil
}

// execArgv reads the command: an array from PVE 8 on (repeated keys, or a
// JSON array in a JSON body), a string-alist (split_list) before.
func (c *call) execArgv() []string {
	v, ok := c.params["command"]
	if !ok || v == "" {
		return nil
	}
	if strings.HasPrefix(v, "[") {
		var list []string
		if json.Unmarshal([]byte(v), &list) == nil {
			return list
		}
	}
	if strings.Contains(v, "\x00") || c.s.major() >= 8 {
		return strings.Split(v, "\x00")
	}
	return strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(v))
}

func (s *Sim) agentExecStatus(c *call) (any, error) {
	os, err := c.agentOS("exec-status")
	if err != nil {
		return nil, err
	}
	pid := atoiDefault(c.params["pid"], -1)
	p := os.procs[pid]
	if p == nil {
		return nil, c.qgaFailed("exec-status", "Invalid parameter 'pid'")
	}
	if c.now.Before(p.end) {
		return map[string]any{"exited": 0}, nil
	}
	delete(os.procs, pid)
	out := map[string]any{"exited": 1}
	if p.signal != 0 {
		out["signal"] = p.signal
	} else {
		out["exitcode"] = p.code
	}
	for _, s := range []struct{ key, data string }{{"out", p.out}, {"err", p.err}} {
		if s.data == "" {
			continue
		}
		// qemu-ga sends the flag only when it is true, as has_out_truncated
		if len(s.data) > qgaMaxOutput {
			s.data = s.data[:qgaMaxOutput]
			out[s.key+"-truncated"] = 1
		}
		out[s.key+"-data"] = s.data
	}
	return out, nil
}

// run executes argv in the guest; found is false when there is no such program.
func (os *guestOS) run(c *call, argv []string, stdin string) (r guestProc, found bool) {
	name := argv[0]
	if os.win {
		name = strings.ToLower(name)
		name = strings.TrimSuffix(name[strings.LastIndex(name, `\`)+1:], ".exe")
	} else if strings.Contains(name, "/") {
		dir, base := name[:strings.LastIndex(name, "/")], name[strings.LastIndex(name, "/")+1:]
		if dir != "/bin" && dir != "/usr/bin" && dir != "/sbin" && dir != "/usr/sbin" {
			return r, false
		}
		name = base
	}
	prog := linuxProgram(name)
	if os.win {
		prog = windowsProgram(name)
	}
	if prog == nil {
		return r, false
	}
	r = prog(c, os, argv[1:], stdin)
	return r, true
}

type program func(c *call, os *guestOS, args []string, stdin string) guestProc

// linuxProgram finds a program of the Linux guest (nil: not installed).
func linuxProgram(name string) program {
	switch name {
	case "true":
		return func(*call, *guestOS, []string, string) guestProc { return guestProc{} }
	case "false":
		return func(*call, *guestOS, []string, string) guestProc { return guestProc{code: 1} }
	case "echo":
		return progEcho("\n")
	case "hostname":
		return progHostname
	case "uname":
		return progUname
	case "whoami":
		return func(*call, *guestOS, []string, string) guestProc { return guestProc{out: "root\n"} }
	case "id":
		return func(*call, *guestOS, []string, string) guestProc {
			return guestProc{out: "uid=0(root) gid=0(root) groups=0(root)\n"}
		}
	case "cat":
		return progCat
	case "ls":
		return progLs
	case "df":
		return progDf
	case "free":
		return progFree
	case "uptime":
		return progUptime
	case "ip":
		return progIP
	case "date":
		return func(c *call, _ *guestOS, _ []string, _ string) guestProc {
			return guestProc{out: c.now.UTC().Format("Mon Jan _2 15:04:05 MST 2006") + "\n"}
		}
	case "sleep":
		return progSleep
	case "seq":
		return progSeq
	case "touch":
		return progTouch
	case "mkdir":
		return progMkdir
	case "rm":
		return progRm
	case "sh", "bash":
		return progShell(name)
	}
	return nil
}

// windowsProgram finds a program of the Windows guest.
func windowsProgram(name string) program {
	switch name {
	case "hostname":
		return func(_ *call, os *guestOS, _ []string, _ string) guestProc {
			return guestProc{out: os.hostname + "\r\n"}
		}
	case "whoami":
		return func(*call, *guestOS, []string, string) guestProc { return guestProc{out: "nt authority\\system\r\n"} }
	case "cmd":
		return progCmd
	case "ipconfig":
		return progIPConfig
	}
	return nil
}

func progEcho(eol string) program {
	return func(_ *call, _ *guestOS, args []string, _ string) guestProc {
		if len(args) > 0 && args[0] == "-n" {
			return guestProc{out: strings.Join(args[1:], " ")}
		}
		return guestProc{out: strings.Join(args, " ") + eol}
	}
}

func progHostname(c *call, os *guestOS, args []string, _ string) guestProc {
	if len(args) > 0 && args[0] == "-I" {
		var ips []string
		for _, n := range c.st.nics(os.g, false) {
			if n.ipv4 != "" {
				a, _ := splitCIDR(n.ipv4)
				ips = append(ips, a)
			}
		}
		return guestProc{out: strings.Join(ips, " ") + " \n"}
	}
	return guestProc{out: os.hostname + "\n"}
}

func progUname(_ *call, os *guestOS, args []string, _ string) guestProc {
	d := os.dist
	all := []string{"Linux", os.hostname, d.kernelRel, d.kernelVer, "x86_64", "GNU/Linux"}
	if len(args) == 0 {
		return guestProc{out: "Linux\n"}
	}
	var parts []string
	for _, a := range args {
		switch a {
		case "-a", "--all":
			parts = append(parts, all...)
		case "-s":
			parts = append(parts, all[0])
		case "-n":
			parts = append(parts, all[1])
		case "-r":
			parts = append(parts, all[2])
		case "-v":
			parts = append(parts, all[3])
		case "-m", "-p", "-i":
			parts = append(parts, all[4])
		case "-o":
			parts = append(parts, all[5])
		default:
			return guestProc{code: 1, err: "uname: invalid option -- '" + strings.TrimLeft(a, "-") + "'\nTry 'uname --help' for more information.\n"}
		}
	}
	return guestProc{out: strings.Join(parts, " ") + "\n"}
}

func progCat(c *call, os *guestOS, args []string, stdin string) guestProc {
	if len(args) == 0 {
		return guestProc{out: stdin}
	}
	var r guestProc
	for _, f := range args {
		data, isDir, ok := os.readFile(f, c.now)
		switch {
		case !ok:
			r.err += "cat: " + f + ": No such file or directory\n"
			r.code = 1
		case isDir:
			r.err += "cat: " + f + ": Is a directory\n"
			r.code = 1
		default:
			r.out += string(data)
		}
	}
	return r
}

func progLs(_ *call, os *guestOS, args []string, _ string) guestProc {
	dir := "/"
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			dir = guestAbsPath(a)
		}
	}
	if _, isFile := os.files[dir]; isFile {
		return guestProc{out: dir + "\n"}
	}
	if !os.isDir(dir) {
		return guestProc{code: 2, err: "ls: cannot access '" + dir + "': No such file or directory\n"}
	}
	var b strings.Builder
	for _, n := range os.list(dir) {
		b.WriteString(n + "\n")
	}
	return guestProc{out: b.String()}
}

func progSleep(c *call, _ *guestOS, args []string, _ string) guestProc {
	if len(args) == 0 {
		return guestProc{code: 1, err: "sleep: missing operand\nTry 'sleep --help' for more information.\n"}
	}
	n, err := strconv.ParseFloat(args[0], 64)
	if err != nil || n < 0 {
		return guestProc{code: 1, err: "sleep: invalid time interval '" + args[0] + "'\nTry 'sleep --help' for more information.\n"}
	}
	return guestProc{dur: time.Duration(n * c.s.opts.Speed * float64(time.Second))}
}

// progShell runs `sh -c "cmd args"`: one simple command, words split on blanks.
func progShell(sh string) program {
	return func(c *call, os *guestOS, args []string, stdin string) guestProc {
		if len(args) < 2 || args[0] != "-c" {
			return guestProc{out: ""}
		}
		words := strings.Fields(args[1])
		if len(words) == 0 {
			return guestProc{}
		}
		if words[0] == "kill" && len(words) == 3 && words[2] == "$$" {
			// the shell kills itself: qemu-ga reports the signal
			if sig, err := strconv.Atoi(strings.TrimPrefix(words[1], "-")); err == nil && sig > 0 && sig < 65 {
				return guestProc{signal: sig}
			}
		}
		if words[0] == "exit" {
			n := 0
			if len(words) > 1 {
				n, _ = strconv.Atoi(words[1])
			}
			return guestProc{code: n}
		}
		r, found := os.run(c, words, stdin)
		if !found {
			msg := "sh: 1: " + words[0] + ": not found\n"
			if sh == "bash" {
				msg = "bash: line 1: " + words[0] + ": command not found\n"
			}
			return guestProc{code: 127, err: msg}
		}
		return r
	}
}

func progCmd(c *call, os *guestOS, args []string, stdin string) guestProc {
	if len(args) < 2 || strings.ToLower(args[0]) != "/c" {
		return guestProc{}
	}
	words := strings.Fields(strings.Join(args[1:], " "))
	if len(words) == 0 {
		return guestProc{}
	}
	switch strings.ToLower(words[0]) {
	case "ver":
		return guestProc{out: "\r\nMicrosoft Windows [Version " + os.dist.kernelVer + "." + os.dist.kernelRel + ".5131]\r\n"}
	case "echo":
		return guestProc{out: strings.Join(words[1:], " ") + "\r\n"}
	}
	r, found := os.run(c, words, stdin)
	if !found {
		return guestProc{code: 1, err: "'" + words[0] + "' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"}
	}
	return r
}

// progSeq prints the numbers from first (default 1) to last, one a line.
func progSeq(_ *call, _ *guestOS, args []string, _ string) guestProc {
	nums := make([]int, 0, 2)
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			return guestProc{code: 1, err: "seq: invalid floating point argument: '" + a + "'\nTry 'seq --help' for more information.\n"}
		}
		nums = append(nums, n)
	}
	first, last := 1, 0
	switch len(nums) {
	case 1:
		last = nums[0]
	case 2:
		first, last = nums[0], nums[1]
	default:
		return guestProc{code: 1, err: "seq: missing operand\nTry 'seq --help' for more information.\n"}
	}
	var b strings.Builder
	for i := first; i <= last; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	return guestProc{out: b.String()}
}
