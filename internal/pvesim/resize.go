package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// resizeReq is a PUT .../resize: which disk, to what size ("+2G" grows by).
type resizeReq struct {
	kind           guestKind
	node, key, req string
	vmid           int
	digest         string
	skiplock       bool
}

type resizePlan struct {
	g           *guest
	file        string
	cur, newLen int64
}

// resizeMode is when a kind's resize checks and applies the change.
type resizeMode int

const (
	resizeForkAfterChecks resizeMode = iota // pve-container: checks, then a worker
	resizeInWorker                          // qemu-server 8+: everything in the worker
	resizeSync                              // qemu-server 7: at once, answering null
)

// resizeGuest grows a disk (PUT .../resize); the size compared is the
// volume's.
func (s *Sim) resizeGuest(c *call, kind guestKind) (any, error) {
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	rq := resizeReq{kind: kind, node: c.params["node"], key: c.params["disk"], req: c.params["size"],
		vmid: c.vmid(), digest: c.params["digest"], skiplock: c.flag("skiplock")}
	mode := kind.resizeMode(s.major())
	var pl *resizePlan
	if mode != resizeInWorker {
		var err error
		if pl, err = s.checkResize(c, rq); err != nil {
			return nil, err
		}
		if mode == resizeSync {
			s.applyResize(rq, pl)
			return nil, nil
		}
	}
	return c.startTask(taskSpec{typ: "resize", vmid: rq.vmid, dur: time.Second, lines: s.resizeTaskLines(rq, pl), failAt: -1,
		onOK: func(time.Time) error {
			p, err := s.checkResize(c, rq)
			if err != nil {
				return err
			}
			s.applyResize(rq, p)
			return nil
		}})
}

// checkResize is what the resize checks, before the worker or in it.
func (s *Sim) checkResize(c *call, rq resizeReq) (*resizePlan, error) {
	kind := rq.kind
	g := s.st.guests[rq.vmid]
	if g == nil || g.kind != kind || g.node != rq.node {
		return nil, noConfig(kind, rq.node, rq.vmid)
	}
	if rq.digest != "" && rq.digest != g.digest() {
		return nil, failf("%s", kind.digestMismatch())
	}
	if !rq.skiplock {
		if err := lockError(g); err != nil {
			return nil, err
		}
	}
	val, ok := g.conf[rq.key]
	if !ok {
		return nil, failf("disk '%s' does not exist", rq.key)
	}
	p := parsePropString(val, kind.diskKey())
	if p.get("media") == "cdrom" {
		return nil, failf("you can't resize a cdrom")
	}
	pl := &resizePlan{g: g, file: p.get(kind.diskKey()), cur: sizeBytes(p.get("size"))}
	if sid, _, ok := parseVolumeID(pl.file); ok {
		if err := c.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
			return nil, err
		}
	}
	if v := s.st.findVolume(g.node, pl.file); v != nil {
		pl.cur = v.size
	}
	pl.newLen = sizeBytes(strings.TrimPrefix(rq.req, "+"))
	if strings.HasPrefix(rq.req, "+") {
		pl.newLen += pl.cur
	}
	if err := kind.resizeRefusal(pl.cur, pl.newLen); err != nil {
		return nil, err
	}
	return pl, nil
}

func (s *Sim) applyResize(rq resizeReq, pl *resizePlan) {
	if pl.newLen == pl.cur {
		return
	}
	p := parsePropString(pl.g.conf[rq.key], rq.kind.diskKey())
	p.set("size", formatSize(pl.newLen))
	pl.g.conf[rq.key] = p.String()
	if v := s.st.findVolume(pl.g.node, pl.file); v != nil {
		v.size = pl.newLen
	}
}

// resizeTaskLines are the worker's log: from the plan when it was checked
// before, else from what the guest's config says now.
func (s *Sim) resizeTaskLines(rq resizeReq, pl *resizePlan) []taskLine {
	if pl != nil {
		return resizeLines(pl.file, pl.cur, pl.newLen)
	}
	g := s.st.guests[rq.vmid]
	if g == nil || g.kind != rq.kind {
		return nil
	}
	p := parsePropString(g.conf[rq.key], rq.kind.diskKey())
	cur := sizeBytes(p.get("size"))
	if v := s.st.findVolume(g.node, p.get(rq.kind.diskKey())); v != nil {
		cur = v.size
	}
	if n := sizeBytes(strings.TrimPrefix(rq.req, "+")); strings.HasPrefix(rq.req, "+") && n > 0 {
		return resizeLines(p.get(rq.kind.diskKey()), cur, cur+n)
	} else if n > cur {
		return resizeLines(p.get(rq.kind.diskKey()), cur, n)
	}
	return nil
}

// resizeLines is what lvresize prints.
func resizeLines(file string, cur, newLen int64) []taskLine {
	_, name, _ := strings.Cut(file, ":")
	return at(0.5, fmt.Sprintf("  Size of logical volume pve/%s changed from %s (%d extents) to %s (%d extents).", name,
		renderBytes(float64(cur), 2), cur/(4<<20), renderBytes(float64(newLen), 2), newLen/(4<<20)),
		fmt.Sprintf("  Logical volume pve/%s successfully resized.", name))
}
