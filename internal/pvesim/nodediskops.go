package pvesim

import (
	"fmt"
	"path"
	"time"
)

// diskInitGPT writes an empty GPT with sgdisk (task "diskinit", id the
// device's name) on a disk that holds nothing.
func (s *Sim) diskInitGPT(c *call) (any, error) {
	node := c.params["node"]
	dev := c.params["disk"]
	d, part := c.findDisk(c.st.node(node), dev)
	switch {
	case d == nil:
		return nil, failf("not a valid block device")
	case part != nil:
		return nil, failf("%s is a partition", dev)
	case len(d.parts) > 0:
		return nil, failf("disk %s already in use", dev)
	}
	ns := c.sys(node)
	lines := []string{"The operation has completed successfully."}
	if !d.gpt {
		lines = append([]string{"Creating new GPT entries in memory."}, lines...)
	}
	return c.startTask(taskSpec{typ: "diskinit", id: path.Base(dev), dur: 2 * time.Second, lines: at(0.8, lines...),
		onOK: func(time.Time) error { ns.diskGPT[dev] = true; return nil }})
}

// wipeDisk wipes a disk or partition that is neither mounted nor held
// (wipefs, then 200 MiB of zeros; task "wipedisk").
func (s *Sim) wipeDisk(c *call) (any, error) {
	node := c.params["node"]
	dev := c.params["disk"]
	d, part := c.findDisk(c.st.node(node), dev)
	if d == nil {
		return nil, failf("not a valid block device")
	}
	for _, p := range d.parts {
		if part != nil && p.dev != part.dev {
			continue
		}
		if p.mounted {
			return nil, failf("disk/partition '%s' is mounted", p.dev)
		}
	}
	for _, p := range d.parts {
		if (part == nil || p.dev == part.dev) && p.used == "LVM" {
			return nil, failf("disk/partition '%s' has a holder", p.dev)
		}
	}
	ns := c.sys(node)
	lines := []string{"wiping block device " + dev}
	if d.gpt && part == nil {
		lines = append(lines,
			dev+": 8 bytes were erased at offset 0x00000200 (gpt): 45 46 49 20 50 41 52 54",
			fmt.Sprintf("%s: 8 bytes were erased at offset 0x%x (gpt): 45 46 49 20 50 41 52 54", dev, d.size-512),
			dev+": 2 bytes were erased at offset 0x000001fe (PMBR): 55 aa")
	}
	lines = append(lines, "200+0 records in", "200+0 records out", "209715200 bytes (210 MB, 200 MiB) copied, 0.762191 s, 275 MB/s")
	return c.startTask(taskSpec{typ: "wipedisk", id: path.Base(dev), dur: 3 * time.Second, lines: progressLines(0.1, 0.9, len(lines)-1,
		func(i int, _ float64) string { return lines[i] }),
		onOK: func(time.Time) error {
			if part == nil {
				ns.diskGPT[dev] = false
			}
			return nil
		}})
}
