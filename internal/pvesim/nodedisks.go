package pvesim

import (
	"fmt"
	"strings"
)

func (s *Sim) diskRoutes() []route {
	b := "/nodes/{node}/disks"
	return []route{
		{method: "GET", tmpl: b, h: indexOf("name")},
		{method: "GET", tmpl: b + "/list", h: s.listDisks},
		{method: "GET", tmpl: b + "/smart", h: s.diskSmart},
		{method: "POST", tmpl: b + "/initgpt", h: s.diskInitGPT},
		{method: "PUT", tmpl: b + "/wipedisk", h: s.wipeDisk},
		{method: "GET", tmpl: b + "/lvm", h: s.diskLVM},
		{method: "GET", tmpl: b + "/lvmthin", h: s.diskLVMThin},
		{method: "GET", tmpl: b + "/directory", h: func(*call) (any, error) { return []any{}, nil }},
		{method: "GET", tmpl: b + "/zfs", h: func(*call) (any, error) { return []any{}, nil }},
		// no pool exists: zpool status fails for any name
		{method: "GET", tmpl: b + "/zfs/{name}", h: func(c *call) (any, error) {
			return nil, failf("command '/sbin/zpool status -P %s' failed: exit code 1", c.params["name"])
		}},
	}
}

// physDisk is a block device of a node. Every node has the same hardware:
// the NVMe system disk (BIOS boot, ESP, the LVM PV of VG "pve" that holds
// root, swap and the thin pool "data" of local-lvm), an unused SATA SSD and
// an unused SATA HDD.
type physDisk struct {
	dev, model, vendor, serial, wwn, typ string
	size                                 int64
	rpm                                  int
	gpt                                  bool
	wearout                              int // -1 = N/A
	parts                                []diskPart
}

type diskPart struct {
	dev, used string
	size      int64
	mounted   bool
}

const (
	diskMiB      = int64(1) << 20
	diskGiB      = int64(1) << 30
	nvmeSize     = int64(2000398934016)
	espSize      = diskGiB
	biosSize     = int64(1031168)
	lvmRootSize  = 96 * diskGiB
	lvmSwapSize  = 8 * diskGiB
	thinMetaSize = 15 * diskGiB
	vgMinFree    = 16 * diskGiB
)

// pvSize is the LVM PV on the third partition, in whole 4 MiB extents.
func pvSize() int64 { return (nvmeSize - biosSize - espSize - 2*diskMiB) &^ (4*diskMiB - 1) }

// disksOf is the node's disks with the partition tables the API changed.
func (c *call) disksOf(n *node) []physDisk {
	list := baseDisks(n)
	for i := range list {
		if gpt, ok := c.sys(n.name).diskGPT[list[i].dev]; ok {
			list[i].gpt = gpt
		}
	}
	return list
}

func baseDisks(n *node) []physDisk {
	sfx := fmt.Sprintf("%02d", n.id)
	return []physDisk{
		{dev: "/dev/nvme0n1", model: "Samsung SSD 980 PRO 2TB", vendor: "unknown", serial: "S6B0NL0T6158" + sfx + "A",
			wwn: "eui.002538b521b2" + sfx + "7a", typ: "nvme", size: nvmeSize, gpt: true, wearout: 97,
			parts: []diskPart{
				{dev: "/dev/nvme0n1p1", used: "BIOS boot", size: biosSize},
				{dev: "/dev/nvme0n1p2", used: "vfat", size: espSize, mounted: true},
				{dev: "/dev/nvme0n1p3", used: "LVM", size: nvmeSize - biosSize - espSize - 2*diskMiB},
			}},
		{dev: "/dev/sda", model: "Samsung_SSD_870_EVO_1TB", vendor: "ATA", serial: "S6PTNZ0R8123" + sfx + "X",
			wwn: "0x5002538f4212" + sfx + "cd", typ: "ssd", size: 1000204886016, wearout: 99},
		{dev: "/dev/sdb", model: "WDC_WD40EFZX-68AWUN0", vendor: "ATA", serial: "WD-WX12D81A" + sfx + "CE",
			wwn: "0x50014ee2bf41" + sfx + "9e", typ: "hdd", size: 4000787030016, rpm: 5400, wearout: -1},
	}
}

func (d physDisk) byID() string {
	if d.typ == "nvme" {
		return "/dev/disk/by-id/nvme-" + strings.ReplaceAll(d.model, " ", "_") + "_" + d.serial
	}
	return "/dev/disk/by-id/ata-" + d.model + "_" + d.serial
}

func (s *Sim) listDisks(c *call) (any, error) {
	n := c.st.node(c.params["node"])
	parts := c.flag("include-partitions")
	smart := !c.flag("skipsmart")
	typ := c.params["type"]
	out := []map[string]any{}
	for _, d := range c.disksOf(n) {
		m := map[string]any{"devpath": d.dev, "size": d.size, "model": d.model, "vendor": d.vendor, "serial": d.serial,
			"wwn": d.wwn, "type": d.typ, "rpm": d.rpm, "gpt": b2i(d.gpt), "health": "UNKNOWN", "wearout": "N/A",
			"osdid": -1, "osdid-list": nil, "by_id_link": d.byID()}
		if smart {
			m["health"] = "PASSED"
			if d.wearout >= 0 {
				m["wearout"] = d.wearout
			}
		}
		if len(d.parts) > 0 {
			m["used"] = d.parts[0].used // the first partition's usage stands for the disk
			if parts {
				m["used"] = "partitions"
			}
		}
		_, used := m["used"]
		if typ == "unused" && used {
			continue
		}
		out = append(out, m)
		if !parts {
			continue
		}
		for _, p := range d.parts {
			pm := map[string]any{"devpath": p.dev, "parent": d.dev, "gpt": b2i(d.gpt), "type": "partition", "size": p.size,
				"used": p.used, "osdid": -1, "osdid-list": nil}
			if p.mounted {
				pm["mounted"] = 1
			}
			out = append(out, pm)
		}
	}
	return out, nil
}

// findDisk finds a disk or partition: the disk, and the partition if dev is one.
func (c *call) findDisk(n *node, dev string) (*physDisk, *diskPart) {
	for _, d := range c.disksOf(n) {
		if d.dev == dev {
			return &d, nil
		}
		for _, p := range d.parts {
			if p.dev == dev {
				return &d, &p
			}
		}
	}
	return nil, nil
}

// diskSmart is smartctl -H -A -f brief parsed as Diskmanage does: ATA disks
// give attributes, NVMe a text block with its wearout.
func (s *Sim) diskSmart(c *call) (any, error) {
	n := c.st.node(c.params["node"])
	d, _ := c.findDisk(n, c.params["disk"])
	if d == nil {
		return nil, failf("not a valid block device")
	}
	if c.flag("healthonly") {
		return map[string]any{"health": "PASSED"}, nil
	}
	hours := int64(c.now.Sub(n.boot).Hours()) + 11800 + int64(n.id)*130
	if d.typ == "nvme" {
		text := "\nSMART/Health Information (NVMe Log 0x02)\n" +
			"Critical Warning:                   0x00\n" +
			"Temperature:                        41 Celsius\n" +
			"Available Spare:                    100%\n" +
			"Available Spare Threshold:          10%\n" +
			fmt.Sprintf("Percentage Used:                    %d%%\n", 100-d.wearout) +
			"Data Units Read:                    48,391,720 [24.7 TB]\n" +
			"Data Units Written:                 61,820,135 [31.6 TB]\n" +
			"Host Read Commands:                 512,339,871\n" +
			"Host Write Commands:                1,204,556,102\n" +
			"Controller Busy Time:               2,318\n" +
			"Power Cycles:                       47\n" +
			fmt.Sprintf("Power On Hours:                     %d\n", hours) +
			"Unsafe Shutdowns:                   12\n" +
			"Media and Data Integrity Errors:    0\n" +
			"Error Information Log Entries:      0\n" +
			"Warning  Comp. Temperature Time:    0\n" +
			"Critical Comp. Temperature Time:    0\n" +
			"Temperature Sensor 1:               41 Celsius\n" +
			"Temperature Sensor 2:               46 Celsius\n"
		return map[string]any{"health": "PASSED", "type": "text", "text": text, "wearout": d.wearout}, nil
	}
	type attr struct {
		id            int
		name, flags   string
		val, worst, t int
		raw           string
	}
	var attrs []attr
	if d.typ == "ssd" {
		attrs = []attr{
			{5, "Reallocated_Sector_Ct", "PO--CK", 100, 100, 10, "0"},
			{9, "Power_On_Hours", "-O--CK", 97, 97, 0, fmt.Sprint(hours)},
			{12, "Power_Cycle_Count", "-O--CK", 99, 99, 0, "47"},
			{177, "Wear_Leveling_Count", "PO--C-", d.wearout, d.wearout, 0, "14"},
			{179, "Used_Rsvd_Blk_Cnt_Tot", "PO--C-", 100, 100, 10, "0"},
			{181, "Program_Fail_Cnt_Total", "-O--CK", 100, 100, 10, "0"},
			{182, "Erase_Fail_Count_Total", "-O--CK", 100, 100, 10, "0"},
			{183, "Runtime_Bad_Block", "PO--C-", 100, 100, 10, "0"},
			{187, "Uncorrectable_Error_Cnt", "-O--CK", 100, 100, 0, "0"},
			{190, "Airflow_Temperature_Cel", "-O--CK", 66, 52, 0, "34"},
			{195, "ECC_Error_Rate", "-O-RC-", 200, 200, 0, "0"},
			{199, "CRC_Error_Count", "-OSRCK", 100, 100, 0, "0"},
			{235, "POR_Recovery_Count", "-O--C-", 99, 99, 0, "9"},
			{241, "Total_LBAs_Written", "-O--CK", 99, 99, 0, "20411374883"},
		}
	} else {
		attrs = []attr{
			{1, "Raw_Read_Error_Rate", "POSR-K", 200, 200, 51, "0"},
			{3, "Spin_Up_Time", "POS--K", 204, 203, 21, "6783"},
			{4, "Start_Stop_Count", "-O--CK", 100, 100, 0, "61"},
			{5, "Reallocated_Sector_Ct", "PO--CK", 200, 200, 140, "0"},
			{7, "Seek_Error_Rate", "-OSR-K", 200, 200, 0, "0"},
			{9, "Power_On_Hours", "-O--CK", 84, 84, 0, fmt.Sprint(hours)},
			{10, "Spin_Retry_Count", "-O--CK", 100, 253, 0, "0"},
			{12, "Power_Cycle_Count", "-O--CK", 100, 100, 0, "47"},
			{194, "Temperature_Celsius", "-O---K", 115, 103, 0, "35"},
			{197, "Current_Pending_Sector", "-O--CK", 200, 200, 0, "0"},
			{198, "Offline_Uncorrectable", "----CK", 100, 253, 0, "0"},
			{199, "UDMA_CRC_Error_Count", "-O--CK", 200, 200, 0, "0"},
		}
	}
	list := []map[string]any{}
	for _, a := range attrs {
		list = append(list, map[string]any{"id": fmt.Sprintf("%3d", a.id), "name": a.name, "flags": a.flags,
			"value": a.val, "normalized": a.val, "worst": a.worst, "threshold": a.t, "fail": "-", "raw": a.raw})
	}
	return map[string]any{"health": "PASSED", "type": "ata", "attributes": list}, nil
}

// diskLVM lists VG "pve" on the system disk's third partition.
func (s *Sim) diskLVM(c *call) (any, error) {
	n := c.st.node(c.params["node"])
	size := pvSize()
	free := size - s.vgUsed(n)
	pv := map[string]any{"name": "/dev/nvme0n1p3", "size": size, "free": free, "leaf": 1}
	vg := map[string]any{"name": "pve", "size": size, "free": free, "leaf": 0, "children": []any{pv}}
	return map[string]any{"leaf": 0, "children": []any{vg}}, nil
}

// vgUsed: root, swap, the thin pool and its metadata plus the spare copy.
func (s *Sim) vgUsed(n *node) int64 {
	var thin int64
	if ns := n.store["local-lvm"]; ns != nil {
		thin = ns.def.total
	}
	return lvmRootSize + lvmSwapSize + thin + 2*thinMetaSize
}

// diskLVMThin lists the thin pools: local-lvm's "data" in VG "pve", its
// usage that of the storage.
func (s *Sim) diskLVMThin(c *call) (any, error) {
	n := c.st.node(c.params["node"])
	out := []map[string]any{}
	for _, d := range c.st.storages {
		ns := n.store[d.id]
		if d.typ != "lvmthin" || ns == nil {
			continue
		}
		used := ns.used()
		out = append(out, map[string]any{"lv": d.thinpool, "vg": d.vgname, "lv_size": d.total, "used": used,
			"metadata_size": thinMetaSize, "metadata_used": thinMetaSize/200 + used/4096})
	}
	return out, nil
}
