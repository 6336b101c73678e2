package pvesim

import (
	"encoding/base64"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// maxAgentRead is Agent.pm's file-read limit (16 MiB).
const maxAgentRead = 16 << 20

// agentFileRead is file-read: guest-file-open, -read until EOF or count,
// -close. bytes-read is there though the schema does not list it; truncated
// is set when the read did not reach the end of the file.
func (s *Sim) agentFileRead(c *call) (any, error) {
	os, err := c.agentOS("file-open")
	if err != nil {
		return nil, err
	}
	file := c.params["file"]
	data, isDir, ok := os.readFile(file, c.now)
	if !ok {
		return nil, c.qgaFailed("file-open", os.openError(file, "r"))
	}
	if isDir {
		return nil, c.qgaFailed("file-read", "failed to read file: Is a directory")
	}
	count := atoi64Default(c.params["count"], maxAgentRead)
	offset := atoi64Default(c.params["offset"], 0)
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	chunk := data[offset:]
	// qemu-ga's eof is feof(): set only when a read asked past the end
	eof := int64(len(chunk)) < count
	if int64(len(chunk)) > count {
		chunk = chunk[:count]
	}
	content := string(chunk)
	if !c.flagOr("decode", true) {
		content = agentReadBase64(chunk)
	}
	out := map[string]any{"content": content, "bytes-read": len(chunk)}
	if !eof {
		out["truncated"] = 1
	}
	return out, nil
}

// agentReadChunk is how much Agent.pm asks guest-file-read for at a time.
const agentReadChunk = 1 << 20

// agentReadBase64 is file-read's content with decode=0: Agent.pm joins the
// base64 of each read as it comes, so padding can stand in the middle.
func agentReadBase64(data []byte) string {
	var b strings.Builder
	for len(data) > agentReadChunk {
		b.WriteString(base64.StdEncoding.EncodeToString(data[:agentReadChunk]))
		data = data[agentReadChunk:]
	}
	b.WriteString(base64.StdEncoding.EncodeToString(data))
	return b.String()
}

// agentFileWrite is file-write: the file is replaced (mode wb) in the
// guest's model, so later reads and `cat` see it.
func (s *Sim) agentFileWrite(c *call) (any, error) {
	os, err := c.agentOS("file-open")
	if err != nil {
		return nil, err
	}
	file := c.params["file"]
	content := []byte(c.params["content"])
	if !c.flagOr("encode", true) {
		b, err := base64.StdEncoding.DecodeString(c.params["content"])
		if err != nil {
			// the handle is opened (and the file truncated) before the write fails
			if os.canCreate(file) {
				os.files[os.key(guestAbsPath(file))] = nil
			}
			return nil, c.qgaFailed("file-write", "Base64 data is not valid")
		}
		content = b
	}
	if !os.canCreate(file) {
		return nil, c.qgaFailed("file-open", os.openError(file, "wb"))
	}
	os.files[os.key(guestAbsPath(file))] = content
	return nil, nil
}

// guestAbsPath resolves a guest path against qemu-ga's working directory, the root.
func guestAbsPath(p string) string {
	if strings.Contains(p, `\`) || (len(p) > 1 && p[1] == ':') {
		return p
	}
	return path.Clean("/" + p)
}

// readFile returns a file's content, or that it is a directory.
func (os *guestOS) readFile(file string, now time.Time) (data []byte, isDir, ok bool) {
	k := os.key(guestAbsPath(file))
	if os.dirs[strings.TrimSuffix(k, `\`)] || os.dirs[k] {
		return nil, true, true
	}
	if b, ok := os.files[k]; ok {
		return b, false, true
	}
	if os.win {
		return nil, false, false
	}
	up := now.Sub(os.booted).Seconds()
	switch k {
	case "/proc/uptime":
		return []byte(fmt.Sprintf("%.2f %.2f\n", up, up*float64(os.g.cpus())*0.97)), false, true
	case "/proc/loadavg":
		l := os.g.load * float64(os.g.cpus())
		return []byte(fmt.Sprintf("%.2f %.2f %.2f 1/%d %d\n", l, l*0.8, l*0.6, 120+os.g.vmid%80, os.nextPID)), false, true
	case "/proc/version":
		return []byte("Linux version " + os.dist.kernelRel + " (" + os.dist.id + "-kernel@lists.debian.org) " + os.dist.kernelVer + "\n"), false, true
	case "/etc/resolv.conf":
		return []byte("nameserver " + os.resolver() + "\n"), false, true
	}
	return nil, false, false
}

func (os *guestOS) resolver() string {
	if ns := os.g.conf["nameserver"]; ns != "" {
		return strings.Fields(ns)[0]
	}
	return "192.168.100.1"
}

// canCreate tells whether the file's directory exists and it is no directory itself.
func (os *guestOS) canCreate(file string) bool {
	p := guestAbsPath(file)
	k := os.key(p)
	if os.dirs[k] {
		return false
	}
	dir := path.Dir(p)
	if os.win {
		i := strings.LastIndex(k, `\`)
		if i < 0 {
			return false
		}
		dir = k[:i]
		if len(dir) == 2 {
			dir += `\`
		}
	}
	return os.isDir(dir)
}

func (os *guestOS) isDir(p string) bool { return os.dirs[os.key(p)] }

// openError is qemu-ga's text for a file it cannot open.
func (os *guestOS) openError(file, mode string) string {
	p := guestAbsPath(file)
	if os.win {
		if mode != "r" {
			return fmt.Sprintf("failed to open file '%s': The system cannot find the path specified. (error: 3)", file)
		}
		return fmt.Sprintf("failed to open file '%s': The system cannot find the file specified. (error: 2)", file)
	}
	why := "No such file or directory"
	if os.dirs[p] {
		why = "Is a directory"
	}
	return fmt.Sprintf("failed to open file '%s' (mode: '%s'): %s", file, mode, why)
}

// list is the content of a directory: its files and subdirectories.
func (os *guestOS) list(dir string) []string {
	dir = strings.TrimSuffix(os.key(dir), "/")
	seen := map[string]bool{}
	add := func(p string) {
		if rest, ok := strings.CutPrefix(p, dir+"/"); ok && rest != "" && !strings.Contains(rest, "/") {
			seen[rest] = true
		}
	}
	for p := range os.files {
		add(p)
	}
	for p := range os.dirs {
		add(p)
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// progTouch, progMkdir and progRm change the guest's files as file-write does.
func progTouch(_ *call, os *guestOS, args []string, _ string) guestProc {
	var r guestProc
	for _, f := range args {
		p := guestAbsPath(f)
		if _, ok := os.files[p]; ok || os.dirs[p] {
			continue
		}
		if !os.canCreate(p) {
			r.err += "touch: cannot touch '" + f + "': No such file or directory\n"
			r.code = 1
			continue
		}
		os.files[p] = []byte{}
	}
	return r
}

func progMkdir(_ *call, os *guestOS, args []string, _ string) guestProc {
	var r guestProc
	parents := false
	for _, a := range args {
		if a == "-p" {
			parents = true
			continue
		}
		p := guestAbsPath(a)
		switch {
		case os.dirs[p] && !parents:
			r.err += "mkdir: cannot create directory '" + a + "': File exists\n"
			r.code = 1
		case parents:
			for d := p; d != "/" && !os.dirs[d]; d = dirOf(d) {
				os.dirs[d] = true
			}
		case !os.dirs[dirOf(p)]:
			r.err += "mkdir: cannot create directory '" + a + "': No such file or directory\n"
			r.code = 1
		default:
			os.dirs[p] = true
		}
	}
	return r
}

func dirOf(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func progRm(_ *call, os *guestOS, args []string, _ string) guestProc {
	var r guestProc
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		p := guestAbsPath(a)
		switch {
		case os.dirs[p]:
			r.err += "rm: cannot remove '" + a + "': Is a directory\n"
			r.code = 1
		case os.files[p] == nil && !hasKey(os.files, p):
			r.err += "rm: cannot remove '" + a + "': No such file or directory\n"
			r.code = 1
		default:
			delete(os.files, p)
		}
	}
	return r
}

func hasKey(m map[string][]byte, k string) bool { _, ok := m[k]; return ok }

// key is how the guest's file tables name a path: Windows paths are
// case-insensitive and take either slash.
func (os *guestOS) key(path string) string {
	if os.win {
		return strings.ToLower(strings.ReplaceAll(path, "/", `\`))
	}
	return path
}
