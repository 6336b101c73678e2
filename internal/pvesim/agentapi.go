package pvesim

import (
	"sort"
	"strings"
	"time"
)

// agentRoutes: the QEMU guest agent endpoints (qemu-server
// PVE/API2/Qemu/Agent.pm), and the container interfaces. Each agent
// endpoint answers the agent's reply as {result: ...} except exec,
// exec-status, file-read and file-write.
func (s *Sim) agentRoutes() []route {
	a := "/nodes/{node}/qemu/{vmid}/agent"
	r := []route{
		{method: "GET", tmpl: a, h: s.agentIndex},
		{method: "POST", tmpl: a, h: s.agentCommand},
		{method: "POST", tmpl: a + "/exec", h: s.agentExec},
		{method: "GET", tmpl: a + "/exec-status", h: s.agentExecStatus},
		{method: "GET", tmpl: a + "/file-read", h: s.agentFileRead},
		{method: "POST", tmpl: a + "/file-write", h: s.agentFileWrite},
		{method: "POST", tmpl: a + "/set-user-password", h: s.agentSetPassword},
	}
	// the container's counterpart, without an agent (pve-container 5.x)
	ifaces := kindRoute(kindLXC, "GET", "/nodes/{node}/lxc/{vmid}/interfaces", s.lxcInterfaces)
	ifaces.since = "8.4"
	r = append(r, ifaces)
	for _, name := range sortedKeys(qgaCommands) {
		method := "GET"
		if qgaPost[name] {
			method = "POST"
		}
		r = append(r, route{method: method, tmpl: a + "/" + name, h: s.agentSimple(name)})
	}
	return r
}

// qgaCmd runs one argument-less agent command and returns its reply.
type qgaCmd func(c *call, os *guestOS) (any, error)

// qgaCommands are the commands routed one endpoint each, and accepted by
// the generic POST .../agent {command}.
var qgaCommands = map[string]qgaCmd{
	"ping":                   func(*call, *guestOS) (any, error) { return map[string]any{}, nil },
	"info":                   qgaInfo,
	"get-time":               func(c *call, _ *guestOS) (any, error) { return c.now.UnixNano(), nil },
	"get-timezone":           qgaTimezone,
	"get-host-name":          func(_ *call, os *guestOS) (any, error) { return map[string]any{"host-name": os.hostname}, nil },
	"get-osinfo":             qgaOSInfo,
	"get-users":              func(c *call, os *guestOS) (any, error) { return os.users(c.now), nil },
	"get-vcpus":              qgaVCPUs,
	"get-fsinfo":             qgaFSInfo,
	"get-memory-blocks":      qgaMemBlocks,
	"get-memory-block-info":  qgaMemBlockInfo,
	"network-get-interfaces": qgaInterfaces,
	"fsfreeze-status":        qgaFreezeStatus,
	"fsfreeze-freeze":        qgaFreeze,
	"fsfreeze-thaw":          qgaThaw,
	"fstrim":                 qgaFstrim,
	"shutdown":               qgaShutdown,
	"suspend-ram":            qgaSuspend("ram"),
	"suspend-hybrid":         qgaSuspend("hybrid"),
	"suspend-disk":           qgaSuspend("disk"),
}

// qgaPost are the commands Agent.pm registers as POST.
var qgaPost = map[string]bool{"ping": true, "fsfreeze-status": true, "fsfreeze-freeze": true, "fsfreeze-thaw": true,
	"fstrim": true, "shutdown": true, "suspend-ram": true, "suspend-hybrid": true, "suspend-disk": true}

// qgaFrozenAllowed are the commands qemu-ga still runs while the guest's
// file systems are frozen (ga_freeze_allowlist).
var qgaFrozenAllowed = map[string]bool{"ping": true, "info": true, "fsfreeze-status": true, "fsfreeze-thaw": true}

// agentIndex lists the commands, sorted like Agent.pm's index; it loads no
// config, so any vmid answers.
func (s *Sim) agentIndex(c *call) (any, error) {
	out := c.subdirs("name")
	sort.Slice(out, func(i, j int) bool { return out[i]["name"] < out[j]["name"] })
	return out, nil
}

func (s *Sim) agentSimple(name string) handler {
	return func(c *call) (any, error) { return s.runQGA(c, name) }
}

// agentCommand is the old generic POST .../agent with the command as parameter.
func (s *Sim) agentCommand(c *call) (any, error) {
	return s.runQGA(c, c.params["command"])
}

func (s *Sim) runQGA(c *call, name string) (any, error) {
	cmd := qgaCommands[name]
	if cmd == nil {
		return nil, failf("unknown command '%s'", name)
	}
	os, err := c.agentOS(name)
	if err != nil {
		return nil, err
	}
	res, err := cmd(c, os)
	if err != nil {
		return nil, err
	}
	return map[string]any{"result": res}, nil
}

// agentUpDelay is how long qemu-ga takes to answer after the VM started, at speed 1.
const agentUpDelay = 20 * time.Second

// agentOS loads the VM and checks the agent answers, as
// assert_agent_available does: configured (the key being present is
// enough), VM running, then a guest-ping that only a booted guest with the
// agent device answers; then the freeze filter of qemu-ga for cmd.
func (c *call) agentOS(cmd string) (*guestOS, error) {
	g, err := c.guestOnNode(kindQemu)
	if err != nil {
		return nil, err
	}
	if _, ok := g.conf["agent"]; !ok {
		return nil, failf("No QEMU guest agent configured")
	}
	if !g.running {
		return nil, failf("VM %d is not running", g.vmid)
	}
	up := time.Duration(float64(agentUpDelay) * c.s.opts.Speed)
	if parsePropString(g.conf["agent"], "enabled").get("enabled") != "1" || g.paused || c.now.Before(g.startedAt.Add(up)) {
		return nil, failf("QEMU guest agent is not running")
	}
	os := c.st.guestOS(g)
	if os.frozen && !qgaFrozenAllowed[cmd] {
		return nil, c.qgaFailed(cmd, "Command guest-"+cmd+" has been disabled: the agent is in frozen state")
	}
	return os, nil
}

// qgaFailed is the die of a guest agent command the agent answered with an
// error (QMPClient): PVE 9 names the peer "qga", older releases "qmp".
func (c *call) qgaFailed(cmd, desc string) error {
	peer := "qmp"
	if c.s.major() >= 9 {
		peer = "qga"
	}
	return failf("VM %d %s command 'guest-%s' failed - %s", c.vmid(), peer, cmd, desc)
}

const qgaUnsupported = "this feature or command is not currently supported"

// qgaSupported is qemu-ga's command list (guest-info), newest first.
var qgaSupported = []string{"get-cpustats", "get-diskstats", "ssh-remove-authorized-keys", "ssh-add-authorized-keys",
	"ssh-get-authorized-keys", "get-disks", "get-osinfo", "get-timezone", "get-users", "get-host-name", "exec",
	"exec-status", "get-memory-block-info", "set-memory-blocks", "get-memory-blocks", "set-user-password",
	"get-fsinfo", "set-vcpus", "get-vcpus", "network-get-interfaces", "suspend-hybrid", "suspend-ram",
	"suspend-disk", "fstrim", "fsfreeze-thaw", "fsfreeze-freeze-list", "fsfreeze-freeze", "fsfreeze-status",
	"file-flush", "file-seek", "file-write", "file-read", "file-close", "file-open", "shutdown", "info",
	"set-time", "get-time", "ping", "sync", "sync-delimited"}

func qgaInfo(_ *call, os *guestOS) (any, error) {
	cmds := make([]map[string]any, 0, len(qgaSupported))
	for _, n := range qgaSupported {
		enabled := !os.frozen || qgaFrozenAllowed[n] || n == "sync" || n == "sync-delimited"
		cmds = append(cmds, map[string]any{"name": "guest-" + n, "enabled": enabled, "success-response": n != "shutdown"})
	}
	return map[string]any{"version": os.dist.agentVersion, "supported_commands": cmds}, nil
}

func qgaTimezone(_ *call, os *guestOS) (any, error) {
	if os.win {
		return map[string]any{"offset": 0, "zone": "Coordinated Universal Time"}, nil
	}
	return map[string]any{"offset": 0, "zone": "UTC"}, nil
}

func qgaOSInfo(_ *call, os *guestOS) (any, error) {
	d := os.dist
	m := map[string]any{"id": d.id, "name": d.name, "pretty-name": d.pretty, "version": d.version,
		"version-id": d.versionID, "kernel-release": d.kernelRel, "kernel-version": d.kernelVer, "machine": "x86_64"}
	if d.variant != "" {
		m["variant"], m["variant-id"] = d.variant, d.variant
	}
	return m, nil
}

func qgaVCPUs(_ *call, os *guestOS) (any, error) {
	out := []map[string]any{}
	for i := 0; i < os.g.cpus(); i++ {
		out = append(out, map[string]any{"logical-id": i, "online": true, "can-offline": !os.win && i > 0})
	}
	return out, nil
}

const memBlockSize = 128 << 20

// qgaMemBlocks lists the 128 MiB memory blocks: RAM below 4 GiB up to the
// PCI hole (3 GiB on i440fx, 2 GiB on q35 for large guests), the rest from 4 GiB.
func qgaMemBlocks(c *call, os *guestOS) (any, error) {
	if os.win {
		return nil, c.qgaFailed("get-memory-blocks", qgaUnsupported)
	}
	mem := os.g.maxMem()
	low := mem
	if strings.Contains(os.g.conf["machine"], "q35") {
		if mem >= 0xb0000000 {
			low = 2 << 30
		}
	} else if mem >= 0xe0000000 {
		low = 3 << 30
	}
	out := []map[string]any{}
	add := func(from, n int64) {
		for i := int64(0); i < n; i++ {
			out = append(out, map[string]any{"phys-index": from + i, "online": true, "can-offline": from+i > 0})
		}
	}
	add(0, low/memBlockSize)
	add((4<<30)/memBlockSize, (mem-low)/memBlockSize)
	return out, nil
}

func qgaMemBlockInfo(c *call, os *guestOS) (any, error) {
	if os.win {
		return nil, c.qgaFailed("get-memory-block-info", qgaUnsupported)
	}
	return map[string]any{"size": memBlockSize}, nil
}

func qgaFSInfo(_ *call, os *guestOS) (any, error) {
	out := []map[string]any{}
	for _, fs := range os.filesystems() {
		d := fs.disk
		disk := map[string]any{"bus-type": d.bus, "bus": 0, "target": 0, "unit": d.unit, "dev": fs.dev,
			"pci-controller": map[string]any{"domain": 0, "bus": 1, "slot": d.pciSlot, "function": 0}}
		if d.bus == "virtio" {
			disk["unit"] = 0
		}
		if d.serial != "" {
			disk["serial"] = d.serial
		}
		out = append(out, map[string]any{"name": fs.name, "mountpoint": fs.mount, "type": fs.typ,
			"total-bytes": fs.total, "used-bytes": fs.used, "disk": []map[string]any{disk}})
	}
	return out, nil
}

func qgaInterfaces(c *call, os *guestOS) (any, error) { return c.s.agentIfaces(c, os), nil }

func qgaFreezeStatus(_ *call, os *guestOS) (any, error) {
	if os.frozen {
		return "frozen", nil
	}
	return "thawed", nil
}

func qgaFreeze(_ *call, os *guestOS) (any, error) {
	os.frozen = true
	return len(os.filesystems()), nil
}

func qgaThaw(_ *call, os *guestOS) (any, error) {
	if !os.frozen {
		return 0, nil
	}
	os.frozen = false
	return len(os.filesystems()), nil
}

func qgaFstrim(_ *call, os *guestOS) (any, error) {
	paths := []map[string]any{}
	for _, fs := range os.filesystems() {
		paths = append(paths, map[string]any{"path": fs.mount, "trimmed": (fs.total - fs.used) / 3 / 4096 * 4096, "minimum": 0})
	}
	return map[string]any{"paths": paths}, nil
}

// qgaShutdown powers the guest off: qemu-ga sends no reply (null result)
// and QEMU exits with the guest.
func qgaShutdown(_ *call, os *guestOS) (any, error) {
	os.g.running, os.g.paused = false, false
	return nil, nil
}

// qgaSuspend suspends to RAM (the VM stays, asleep: the agent no longer
// answers until it is resumed), to disk (the guest hibernates and QEMU
// exits) or both. S3/S4 are offered to the guest from machine version 9.2+pve1
// on (PVE 9), unless the machine option says otherwise.
func qgaSuspend(mode string) qgaCmd {
	return func(c *call, os *guestOS) (any, error) {
		mach := parsePropString(os.g.conf["machine"], "type")
		def := "0"
		if c.s.major() >= 9 {
			def = "1"
		}
		s3, s4 := mach.get("enable-s3"), mach.get("enable-s4")
		if s3 == "" {
			s3 = def
		}
		if s4 == "" {
			s4 = def
		}
		if (mode != "disk" && s3 != "1") || (mode != "ram" && s4 != "1") {
			return nil, c.qgaFailed("suspend-"+mode, "the requested suspend mode is not supported by the guest")
		}
		if mode == "disk" {
			os.g.running, os.g.paused = false, false
		} else {
			os.g.paused = true
		}
		return nil, nil
	}
}

// agentSetPassword is set-user-password: chpasswd in the guest, which
// fails for a user the guest does not have.
func (s *Sim) agentSetPassword(c *call) (any, error) {
	os, err := c.agentOS("set-user-password")
	if err != nil {
		return nil, err
	}
	known := map[string]bool{"root": !os.win, "Administrator": os.win}
	if u := os.g.conf["ciuser"]; u != "" {
		known[u] = true
	}
	if !known[c.params["username"]] {
		return nil, c.qgaFailed("set-user-password", "child process has failed to set user password")
	}
	return map[string]any{"result": map[string]any{}}, nil
}
