package pvesim

import (
	"fmt"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// migrateArgs are a migration's parameters, decoded by the adapter.
type migrateArgs struct {
	vmid      int
	target    string
	online    bool     // a running VM migrates live (a container refuses)
	restart   bool     // a running container stops and starts on the target
	withLocal bool     // with-local-disks: a live migration mirrors local disks
	rootOpts  []string // the root-only options sent (force, migration_type, ...)
}

// migrateGuest is the adapter of POST .../migrate: it decodes the
// parameters and runs the migration in the model.
func (s *Sim) migrateGuest(c *call, kind guestKind) (any, error) {
	a := migrateArgs{vmid: c.vmid(), target: c.params["target"], online: c.flag("online"),
		restart: c.flag("restart"), withLocal: c.flag("with-local-disks")}
	for _, n := range kind.traits().rootOnlyMigrate {
		if c.boolish(n) {
			a.rootOpts = append(a.rootOpts, n)
		}
	}
	upid, err := s.migrate(c.op(), kind, a)
	if err != nil {
		return nil, err
	}
	return upid, nil
}

// migrateArgsFor is what a bulk migrate asks of one guest: its online
// parameter is the one that moves a running guest of that kind.
func migrateArgsFor(g *guest, target, online, withLocal string) migrateArgs {
	on, _ := pveschema.ParseBool(online)
	wl, _ := pveschema.ParseBool(withLocal)
	a := migrateArgs{vmid: g.vmid, target: target, withLocal: wl && g.kind.liveMigrates()}
	if g.kind.runningMigrateParam() == "online" {
		a.online = on
	} else {
		a.restart = on
	}
	return a
}

// migrate is the Migrate operation: the check step, then an HA request
// for an HA-managed guest, else the migration task. It returns the UPID.
func (s *Sim) migrate(o op, kind guestKind, a migrateArgs) (string, error) {
	mg, err := o.checkMigrate(kind, a)
	if err != nil {
		return "", err
	}
	if o.st.haManaged(a.vmid) != nil {
		return s.haGuestRequestOp(o, mg.g, "hamigrate", "", a.target), nil
	}
	return s.forkMigrate(o, kind, a, mg), nil
}

// migratePlan is what a migration found before its task starts.
type migratePlan struct {
	g               *guest
	tn              *node // the target
	online, restart bool
}

// checkMigrate is the synchronous part of a migration: the target, the
// guest, and whether its state allows the migration asked for.
func (o op) checkMigrate(kind guestKind, a migrateArgs) (*migratePlan, error) {
	if a.target == o.node {
		return nil, paramErr("target", "target is local node.")
	}
	tn := o.st.node(a.target)
	if tn == nil {
		return nil, failf("no such cluster node '%s'", a.target)
	}
	if o.user != "root@pam" && len(a.rootOpts) > 0 {
		return nil, paramErr(a.rootOpts[0], "Only root may use this option.")
	}
	g, err := o.guestHere(kind, a.vmid)
	if err != nil {
		return nil, err
	}
	if err := lockError(g); err != nil {
		return nil, err
	}
	online, restart := a.online, a.restart
	if g.running {
		if err := kind.traits().runningMigration(online, restart); err != nil {
			return nil, err
		}
	} else {
		online = false
	}
	return &migratePlan{g: g, tn: tn, online: online, restart: restart}, nil
}

// forkMigrate is the task step of a migration: the lock, then the worker
// that moves the guest and its local volumes to the target.
func (s *Sim) forkMigrate(o op, kind guestKind, a migrateArgs, mg *migratePlan) string {
	g, tn, target, restart := mg.g, mg.tn, a.target, mg.restart
	g.conf["lock"] = "migrate"
	lines, dur, failMsg := s.migrationPlan(g, tn, mg.online, a.withLocal, restart, o.now)
	// a container migrated with restart stops now and starts on the target
	restarts := kind.traits().restartMigrates && restart && g.running
	upid := o.startTask(taskSpec{typ: kind.traits().migrateTask, vmid: a.vmid,
		dur: dur, lines: lines, failMsg: failMsg, failAt: 0.1, interruptMsg: "migration aborted",
		onOK: func(end time.Time) error {
			if tn.offline {
				delete(g.conf, "lock")
				return fmt.Errorf("migration aborted")
			}
			for _, v := range volumesOf(g) {
				if vol := s.st.findVolume(g.node, v); vol != nil {
					s.st.removeVolume(g.node, v)
					s.st.addVolume(target, vol)
				}
			}
			g.node = target
			delete(g.conf, "lock")
			if restarts {
				g.running, g.startedAt = true, end
			}
			return nil
		},
		onFail: func() { delete(g.conf, "lock") }})
	if restarts {
		g.running = false
	}
	return upid
}

// migrationPlan builds the log of a migration (timestamped like
// AbstractMigrate's log), its duration and, if it must fail, the error.
func (s *Sim) migrationPlan(g *guest, tn *node, online, withLocal, restart bool, start time.Time) ([]taskLine, time.Duration, string) {
	disks, cdroms := s.migrationScan(g)
	var size int64
	for _, d := range disks {
		if v := s.st.findVolume(g.node, d); v != nil {
			size += v.size
		}
	}
	m := &migrationRun{s: s, g: g, tn: tn, disks: disks, start: start,
		copySecs: float64(size) / float64(1<<30) / 2, memSecs: float64(g.maxMem()) / float64(1<<30) * 2}
	m.dur = 2 * time.Second
	if online {
		m.dur += time.Duration(m.memSecs * float64(time.Second))
		if withLocal {
			m.dur += time.Duration(m.copySecs * float64(time.Second))
		}
	} else {
		m.dur += time.Duration(m.copySecs * float64(time.Second))
	}
	return g.kind.traits().migrationLog(m, cdroms, online, withLocal, restart)
}

// lxcLog is pve-container's migration log.
func (m *migrationRun) lxcLog(_ []string, _, _, restart bool) ([]taskLine, time.Duration, string) {
	return m.lxcLines(restart), m.dur, ""
}

// qemuLog is qemu-server's migration log: the volume scan (which may stop
// it), then the offline copy or the live migration.
func (m *migrationRun) qemuLog(cdroms []string, online, withLocal, _ bool) ([]taskLine, time.Duration, string) {
	lines, failMsg := m.qemuScanLines(cdroms, online, withLocal)
	if failMsg != "" {
		return lines, 500 * time.Millisecond, failMsg
	}
	if !online {
		lines = append(lines, m.offlineLines()...)
	} else {
		lines = append(lines, m.onlineLines(withLocal)...)
	}
	return append(lines, m.stamp(1, "migration finished successfully (duration "+hms(m.dur)+")")), m.dur, ""
}

// migrationScan finds the local volumes a migration copies, and the local
// cdrom images that stop a qemu one.
func (s *Sim) migrationScan(g *guest) (disks, cdroms []string) {
	for _, k := range sortedKeys(g.conf) {
		if !g.kind.diskSlot(k) {
			continue
		}
		p := parsePropString(g.conf[k], g.kind.diskKey())
		file := p.get(g.kind.diskKey())
		if g.kind.isCDROM(p) && isCloudinitVolume(file) {
			if !s.sharedVolume(file) {
				disks = append(disks, file) // migrated like a disk (QemuMigrate: 'generated')
			}
			continue
		}
		if g.kind.isCDROM(p) {
			if file != "none" && file != "cdrom" && strings.Contains(file, ":") && !s.sharedVolume(file) {
				cdroms = append(cdroms, file)
			}
			continue
		}
		if strings.Contains(file, ":") && !s.sharedVolume(file) {
			disks = append(disks, file)
		}
	}
	return disks, cdroms
}

// migrationRun is one migration's plan on its way to the task log.
type migrationRun struct {
	s                 *Sim
	g                 *guest
	tn                *node
	disks             []string // local volumes to copy
	start             time.Time
	dur               time.Duration
	copySecs, memSecs float64
}

// stamp is a log line with the wall time migrate prints.
func (m *migrationRun) stamp(frac float64, text string) taskLine {
	t := m.start.Add(time.Duration(frac * float64(m.dur)))
	return taskLine{at: frac, text: t.Format("2006-01-02 15:04:05") + " " + text}
}

func (m *migrationRun) plain(frac float64, text string) taskLine {
	return taskLine{at: frac, text: text}
}

func (m *migrationRun) lxcLines(restart bool) []taskLine {
	g, tn, disks, dur := m.g, m.tn, m.disks, m.dur
	var lines []taskLine
	if restart && g.running {
		lines = append(lines, m.stamp(0, fmt.Sprintf("shutdown CT %d", g.vmid)))
	}
	lines = append(lines, m.stamp(0, fmt.Sprintf("starting migration of CT %d to node '%s' (%s)", g.vmid, tn.name, tn.ip)))
	for _, d := range disks {
		lines = append(lines, m.stamp(0.02, fmt.Sprintf("found local volume '%s' (in current VM config)", d)))
	}
	for i, d := range disks {
		f := 0.1 + 0.8*float64(i+1)/float64(len(disks)+1)
		lines = append(lines, m.stamp(f, fmt.Sprintf("volume '%s' is '%s' on the target", d, d)))
	}
	lines = append(lines, m.stamp(0.95, "start final cleanup"))
	if restart && g.running {
		lines = append(lines, m.stamp(0.97, "start container on target node"))
	}
	lines = append(lines, m.stamp(1, "migration finished successfully (duration "+hms(dur)+")"))
	return lines
}

// qemuScanLines is the log of the volume scan; a failure text when a local
// disk cannot be migrated.
func (m *migrationRun) qemuScanLines(cdroms []string, online, withLocal bool) ([]taskLine, string) {
	g, tn, disks := m.g, m.tn, m.disks
	var lines []taskLine
	lines = append(lines, m.stamp(0, fmt.Sprintf("starting migration of VM %d to node '%s' (%s)", g.vmid, tn.name, tn.ip)))
	for _, d := range disks {
		lines = append(lines, m.stamp(0.01, fmt.Sprintf("found local disk '%s' (attached)", d)))
	}
	failMsg := ""
	for _, cd := range cdroms {
		lines = append(lines, m.stamp(0.02, fmt.Sprintf("can't migrate local disk '%s': local cdrom image", cd)))
	}
	if online && len(disks) > 0 && !withLocal {
		lines = append(lines, m.stamp(0.02, "ERROR: can't live migrate attached local disks without with-local-disks option"))
		failMsg = "migration aborted"
	}
	if len(cdroms) > 0 {
		failMsg = "migration aborted"
	}
	if failMsg != "" {
		lines = append(lines, m.stamp(0.05, "ERROR: Problem found while scanning volumes - can't migrate VM - check log"),
			m.stamp(0.05, "aborting phase 1 - cleanup resources"),
			m.stamp(0.06, "ERROR: migration aborted (duration 00:00:00): Problem found while scanning volumes - can't migrate VM - check log"))
		return lines, failMsg
	}
	return lines, ""
}

// offlineLines is the log of copying the disks of a stopped VM.
func (m *migrationRun) offlineLines() []taskLine {
	g, disks, start, dur := m.g, m.disks, m.start, m.dur
	var lines []taskLine
	if len(disks) > 0 {
		lines = append(lines, m.stamp(0.02, "copying local disk images"))
	}
	for i, d := range disks {
		f0 := 0.05 + 0.9*float64(i)/float64(len(disks))
		f1 := 0.05 + 0.9*float64(i+1)/float64(len(disks))
		vs := int64(0)
		if v := m.s.st.findVolume(g.node, d); v != nil {
			vs = v.size
		}
		_, name, _ := strings.Cut(d, ":")
		lines = append(lines, m.stamp(f0, fmt.Sprintf("  Logical volume \"%s\" created.", name)))
		lines = append(lines, progressLines(f0+0.01, f1-0.02, 5, func(j int, f float64) string {
			b := int64(float64(vs) * f)
			return fmt.Sprintf("%s %d bytes (%.1f GB, %.1f GiB) copied, %.0f s, %.0f MB/s", start.Add(time.Duration((f0+(f1-f0)*f)*float64(dur))).Format("2006-01-02 15:04:05"),
				b, float64(b)/1e9, float64(b)/float64(1<<30), (f1-f0)*f*dur.Seconds(), 1073.7)
		})...)
		lines = append(lines, m.stamp(f1-0.01, fmt.Sprintf("successfully imported '%s'", d)),
			m.stamp(f1, fmt.Sprintf("volume '%s' is '%s' on the target", d, d)))
	}
	return lines
}

// onlineLines is the log of a live migration: storage mirror, then memory.
func (m *migrationRun) onlineLines(withLocal bool) []taskLine {
	g, tn, disks, copySecs, memSecs := m.g, m.tn, m.disks, m.copySecs, m.memSecs
	var lines []taskLine
	lines = append(lines, m.stamp(0.02, fmt.Sprintf("starting VM %d on remote node '%s'", g.vmid, tn.name)),
		m.stamp(0.04, "start remote tunnel"), m.stamp(0.04, "ssh tunnel ver 1"))
	memFrom := 0.08
	if withLocal && len(disks) > 0 {
		lines = append(lines, m.stamp(0.05, "starting storage migration"))
		share := copySecs / (copySecs + memSecs)
		for i, d := range disks {
			key := diskKeyOf(g, d)
			f0 := 0.06 + share*0.8*float64(i)/float64(len(disks))
			f1 := 0.06 + share*0.8*float64(i+1)/float64(len(disks))
			vs := int64(0)
			if v := m.s.st.findVolume(g.node, d); v != nil {
				vs = v.size
			}
			lines = append(lines, m.stamp(f0, fmt.Sprintf("%s: start migration to nbd:unix:/run/qemu-server/%d_nbd.migrate:exportname=drive-%s", key, g.vmid, key)),
				m.plain(f0, "drive mirror is starting for drive-"+key))
			lines = append(lines, copyProgress(m.s, g, &cloneDisk{key: key, size: vs}, f0+0.01, f1)[1:]...)
			memFrom = f1 + 0.01
		}
		lines = lines[:len(lines)-4] // keep "all 'mirror' jobs are ready", drop clone's suspend/resume
		lines = append(lines, m.stamp(memFrom, "switching mirror jobs to actively synced mode"))
	}
	mem := g.maxMem()
	lines = append(lines, m.stamp(memFrom, fmt.Sprintf("starting online/live migration on unix:/run/qemu-server/%d.migrate", g.vmid)),
		m.stamp(memFrom, "set migration capabilities"), m.stamp(memFrom, "migration downtime limit: 100 ms"),
		m.stamp(memFrom, "migration cachesize: "+renderBytes(float64(mem/8), 1)), m.stamp(memFrom, "set migration parameters"),
		m.stamp(memFrom, fmt.Sprintf("start migrate command to unix:/run/qemu-server/%d.migrate", g.vmid)))
	steps := 8
	for i := 1; i <= steps; i++ {
		f := float64(i) / float64(steps+1)
		lines = append(lines, m.stamp(memFrom+(0.95-memFrom)*f, fmt.Sprintf("migration active, transferred %s of %s VM-state, 512.0 MiB/s",
			renderBytes(float64(mem)*f*0.6, 1), renderBytes(float64(mem), 1))))
	}
	lines = append(lines, m.stamp(0.96, "average migration speed: 512.0 MiB/s - downtime 73 ms"),
		m.stamp(0.96, fmt.Sprintf("migration completed, transferred %s VM-state", renderBytes(float64(mem)*0.6, 1))),
		m.stamp(0.96, "migration status: completed"))
	if withLocal && len(disks) > 0 {
		for _, d := range disks {
			key := diskKeyOf(g, d)
			job := "mirror-" + key
			if m.s.major() < 9 {
				job = "drive-" + key
			}
			lines = append(lines, m.plain(0.97, job+": Completing block job..."), m.plain(0.97, job+": Completed successfully."),
				m.plain(0.97, job+": mirror-job finished"))
		}
		lines = append(lines, m.stamp(0.98, "stopping NBD storage migration server on target."))
	}
	return lines
}

func diskKeyOf(g *guest, volid string) string {
	for _, k := range sortedKeys(g.conf) {
		if g.kind.diskSlot(k) && parsePropString(g.conf[k], g.kind.diskKey()).get(g.kind.diskKey()) == volid {
			return k
		}
	}
	return "scsi0"
}

func (s *Sim) sharedVolume(volid string) bool {
	sid, _, _ := strings.Cut(volid, ":")
	for _, d := range s.st.storages {
		if d.id == sid {
			return d.shared
		}
	}
	return false
}

func hms(d time.Duration) string {
	secs := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}
