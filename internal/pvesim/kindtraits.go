package pvesim

import (
	"fmt"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// kindTraits is what the storage operations (disk allocation, snapshots,
// clone, move, migration, restore, backup) do differently for each kind:
// data, and the functions of the blocks of behaviour that differ as a
// whole. Handlers read it through guestKind.traits, so the kinds are told
// apart in qemuTraits and lxcTraits only.
type kindTraits struct {
	// cdroms: qemu drives may be CD-ROMs (media=cdrom), which carry no
	// disk of the guest; container mount points never are.
	cdroms bool
	// logsDrives: qemu-server logs each drive it creates, copies, maps or
	// snapshots; pve-container only what the storage tools print.
	logsDrives bool
	// bareSizeOnDefault: pve-container reads a bare size ("8") as a new
	// volume on the default storage; qemu-server's NEW_DISK_RE does that
	// itself and fails without a default storage.
	bareSizeOnDefault bool
	// emptyDiskSize is the size a new volume of size 0 gets (pve-container:
	// 4 GiB; qemu keeps 0).
	emptyDiskSize int64
	// noContent is the error for a new disk on a storage without the
	// kind's content type.
	noContent func(sid string) error

	// mirrorsRunning: qemu copies the disks of a running VM (drive
	// mirror); pve-container copies a running container's volumes only from
	// a snapshot (clone) or not at all (move).
	mirrorsRunning bool
	// copyLock is the config lock the kind's tools take while they copy a
	// guest's volume (pve-container: "disk"; qemu-server holds only the
	// flock, "").
	copyLock string
	// savesRAM: a qemu snapshot may hold the RAM of a running VM
	// (vmstate); a container's never does, and its snapshots have no
	// vmstate field.
	savesRAM bool

	// diskFormats: qemu volumes have a format a full clone may change
	// (the format parameter); container volumes have none.
	diskFormats bool
	// noLinkedClone is the error for a disk that cannot be linked
	// (not a base volume).
	noLinkedClone func(volid, key string) error
	// freshNet is a network device of a clone, with a new MAC.
	freshNet func(v string, macAddr func() string) string
	// cloneIdentity sets what makes a clone another guest: name or
	// hostname, UUIDs.
	cloneIdentity func(o op, a cloneArgs, src *guest, newconf map[string]string)
	// cloneExists is the error for a clone's vmid taken on the node.
	cloneExists func(newid int, node string) error
	// cloneLock is the lock of the clone's config while it is created.
	cloneLock string

	// moveParam names the disk to move ("disk" of move_disk, "volume" of
	// move_volume); moveTask is the task's type; moveLog its log.
	moveParam, moveTask string
	moveLog             func(s *Sim, mv *movePlan, alloc []taskLine) []taskLine
	// moveRefusal is the kind's own refusal of a move of key (nil: none):
	// pve-container moves only configured volumes, and words the
	// snapshot-and-delete refusal its own way; sameStorageMove is whether a
	// move to the disk's own storage and format is refused (qemu-server).
	moveRefusal     func(key string, snapshots, del bool) error
	sameStorageMove bool

	// rootOnlyMigrate are the migration parameters only root may use.
	rootOnlyMigrate []string
	// runningMigration is the error, if any, of migrating a running guest
	// with these flags.
	runningMigration func(online, restart bool) error
	// restartMigrates: pve-container migrates a running container by
	// shutting it down and starting it on the target (restart=1).
	restartMigrates bool
	// migrateTask is the migration's task type; migrationLog its log,
	// duration and failure.
	migrateTask  string
	migrationLog func(m *migrationRun, cdroms []string, online, withLocal, restart bool) ([]taskLine, time.Duration, string)

	// restoreOverRunning ends the error of a restore over a running guest.
	restoreOverRunning string
	// restoreHeader and restoreProgress are the restore tool's log before
	// and after the disks are allocated.
	restoreHeader   func(r *restoreRun) []taskLine
	restoreProgress func(archive string, totalSize int64, secs int) []taskLine
	// uniqueRestore: a VM restored with unique=1 gets new MACs
	// (pve-container renews hwaddr too; the simulator does not).
	uniqueRestore bool
	// startRestored starts a guest restored with start=1.
	startRestored func(s *Sim, g *guest, nodeName, user string, end time.Time)

	// backupSize is what vzdump reads of a guest; archiveFormat the
	// archive's ("vma", "tar"); backupGuestLog and backupArchiveLog the
	// guest's lines of the job log before and while the archive is written.
	backupSize       func(st *state, g *guest, nodeName string) int64
	archiveFormat    string
	backupGuestLog   func(b *backupLog)
	backupArchiveLog func(b *backupLog)
}

// traits is the kind's row of the table.
func (k guestKind) traits() kindTraits {
	if k.isLXC() {
		return lxcTraits()
	}
	return qemuTraits()
}

// qemuTraits is how qemu-server does it.
func qemuTraits() kindTraits {
	return kindTraits{
		cdroms:     true,
		logsDrives: true,
		noContent: func(sid string) error {
			return failf("storage '%s' does not support vm images", sid)
		},
		mirrorsRunning: true,
		savesRAM:       true,
		diskFormats:    true,
		noLinkedClone: func(_, key string) error {
			return failf("Linked clone feature is not supported for drive '%s'", key)
		},
		freshNet:      qemuFreshNet,
		cloneIdentity: qemuCloneIdentity,
		cloneExists: func(newid int, _ string) error {
			return failf("unable to create VM %d: config file already exists", newid)
		},
		cloneLock: "clone",
		moveParam: "disk",
		moveTask:  "qmmove",
		moveLog:   qemuMoveLog,
		moveRefusal: func(_ string, snapshots, del bool) error {
			if snapshots && del {
				return failf("you can't move a disk with snapshots and delete the source")
			}
			return nil
		},
		sameStorageMove: true,
		rootOnlyMigrate: []string{"force", "migration_type", "migration_network"},
		runningMigration: func(online, _ bool) error {
			if !online {
				return failf("can't migrate running VM without --online")
			}
			return nil
		},
		migrateTask:        "qmigrate",
		migrationLog:       (*migrationRun).qemuLog,
		restoreOverRunning: " vm is running",
		restoreHeader:      qemuRestoreHeader,
		restoreProgress:    qemuRestoreProgress,
		uniqueRestore:      true,
		startRestored:      qemuStartRestored,
		backupSize:         qemuBackupSize,
		archiveFormat:      "vma",
		backupGuestLog:     (*backupLog).qemuGuest,
		backupArchiveLog:   (*backupLog).qemuArchive,
	}
}

// lxcTraits is how pve-container does it.
func lxcTraits() kindTraits {
	return kindTraits{
		bareSizeOnDefault: true,
		emptyDiskSize:     4 << 30,
		noContent: func(sid string) error {
			return paramErr("storage", fmt.Sprintf("storage '%s' does not support container directories", sid))
		},
		copyLock: "disk",
		noLinkedClone: func(volid, _ string) error {
			return failf("Linked clone feature for '%s' is not available", volid)
		},
		freshNet:      lxcFreshNet,
		cloneIdentity: lxcCloneIdentity,
		cloneExists: func(newid int, node string) error {
			return failf("unable to create CT %d - CT %d already exists on node '%s'", newid, newid, node)
		},
		cloneLock: "create",
		moveParam: "volume",
		moveTask:  "move_volume",
		moveLog:   lxcMoveLog,
		moveRefusal: func(key string, snapshots, del bool) error {
			if strings.HasPrefix(key, "unused") {
				return failf("cannot move volume '%s', only configured volumes can be moved to another storage", key)
			}
			if snapshots && del {
				return failf("you can't move a volume with snapshots and delete the source")
			}
			return nil
		},
		runningMigration: func(online, restart bool) error {
			if !online && !restart {
				return failf("can't migrate running container without --online or --restart")
			}
			if online {
				return failf("lxc live migration is currently not implemented")
			}
			return nil
		},
		restartMigrates:    true,
		migrateTask:        "vzmigrate",
		migrationLog:       (*migrationRun).lxcLog,
		restoreOverRunning: " can't overwrite running container",
		restoreHeader:      lxcRestoreHeader,
		restoreProgress:    lxcRestoreProgress,
		startRestored:      lxcStartRestored,
		backupSize:         lxcBackupSize,
		archiveFormat:      "tar",
		backupGuestLog:     (*backupLog).lxcGuest,
		backupArchiveLog:   (*backupLog).lxcArchive,
	}
}

// isCDROM tells whether a disk slot's value is a CD-ROM drive.
func (k guestKind) isCDROM(p *propString) bool {
	return k.traits().cdroms && p.get("media") == "cdrom"
}

var bareSizeRe = lazyre.New(`^\d+(\.\d+)?$`)

// newVolumeSpec is a disk parameter's volume as the kind's tools read it
// (see bareSizeOnDefault).
func (k guestKind) newVolumeSpec(file, defStorage string) string {
	if k.traits().bareSizeOnDefault && bareSizeRe.MatchString(file) {
		return defStorage + ":" + file
	}
	return file
}

// lockForCopy takes the kind's copyLock, if any, on a guest's config.
func (k guestKind) lockForCopy(conf map[string]string) {
	if l := k.traits().copyLock; l != "" {
		conf["lock"] = l
	}
}

// unlockAfterCopy drops the kind's copyLock if the config still holds it.
func (k guestKind) unlockAfterCopy(conf map[string]string) {
	if l := k.traits().copyLock; l != "" && conf["lock"] == l {
		delete(conf, "lock")
	}
}
