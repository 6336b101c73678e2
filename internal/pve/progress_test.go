package pve

import "testing"

func TestParsePercent(t *testing.T) {
	cases := []struct {
		line string
		want float64 // -1: no percentage
	}{
		// drive mirror, 8.x and 9.x job ids, live restore
		{"drive-scsi0: transferred 0.0 B of 60.0 GiB (0.00%) in 0s", 0},
		{"drive-scsi0: transferred 383.0 MiB of 32.0 GiB (1.17%) in 1s", 1.17},
		{"mirror-scsi0: transferred 32.0 GiB of 32.0 GiB (100.00%) in 7m 49s", 100},
		{"mirror-scsi0: transferred 32.0 GiB of 32.0 GiB (100.00%) in 7m 50s, ready", 100},
		{"drive-virtio0: transferred 1.5 GiB of 10.0 GiB (15.00%) in 1h 2m 3s, still busy", 15},
		{"restore-drive-scsi0: transferred 22.8 GiB of 45.0 GiB (50.62%) in 3m 34s", 50.62},
		// qemu-img convert
		{"transferred 0.0 B of 1.3 GiB (0.00%)", 0},
		{"transferred 14.0 MiB of 1.3 GiB (1.05%)", 1.05},
		{"transferred 1.3 GiB of 1.3 GiB (100.00%)", 100},
		// vzdump (qemu)
		{"INFO:   0% (0.0 B of 32.0 GiB) in 0s, read: 0 B/s, write: 0 B/s", 0},
		{"INFO:  10% (3.2 GiB of 32.0 GiB) in 10s, read: 327.7 MiB/s, write: 300.1 MiB/s", 10},
		{"INFO: 100% (15.0 GiB of 15.0 GiB) in 1m 56s, read: 62.0 MiB/s, write: 2.0 MiB/s", 100},
		// vma and PBS restore
		{"progress 1% (read 214761472 bytes, duration 0 sec)", 1},
		{"progress 57% (read 9789505536 bytes, duration 40 sec)", 57},
		{"progress 1% (read 130023424 bytes, zeroes = 45% (58720256 bytes), duration 0 sec)", 1},
		// wget (download-url, pveam)
		{" 32768K ........ ........ ........ ........ 46% 6.83M 9s", 46},
		{"131072K ........                           100% 8.16M=22s", 100},
		// live migration: transferred / total, never 100
		{"2025-01-04 00:34:30 migration active, transferred 357.9 MiB of 4.0 GiB VM-state, 586.6 MiB/s", 357.9 / 4096 * 100},
		{"2025-01-04 00:34:37 migration active, transferred 4.5 GiB of 4.0 GiB VM-state, 586.6 MiB/s", 99},
		// lines that look close but carry no progress
		{"INFO: backup is sparse: 3.20 GiB (21%) total zero data", -1},
		{"INFO: backup was done incrementally, reused 3.20 GiB (21%)", -1},
		{"INFO: transferred 15.00 GiB in 116 seconds (132.4 MiB/s)", -1},
		{"total bytes read 17179869184, sparse bytes 12563259392 (73.1%)", -1},
		{"space reduction due to 4K zero blocks 2.95%", -1},
		{"root.pxar: backup was done incrementally, reused 14.728 GiB (90.3%)", -1},
		{"xbzrle: send updates to 10 pages in 1.0 MiB encoded memory, cache-miss 12.34%, overflow 0", -1},
		{"INFO: processed 7.805 GiB in 1m, uploaded 1.393 GiB", -1},
		{"create full clone of drive scsi0 (local-lvm:vm-100-disk-0)", -1},
		{"TASK OK", -1},
		{"", -1},
	}
	for _, tc := range cases {
		got, ok := ParsePercent(tc.line)
		if tc.want < 0 {
			if ok {
				t.Errorf("ParsePercent(%q) = %v, want none", tc.line, got)
			}
			continue
		}
		if !ok || got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", tc.line, got, ok, tc.want)
		}
	}
}

func TestProgressTrackerIsMonotone(t *testing.T) {
	p := newProgressTracker()
	if p.percent != -1 {
		t.Fatalf("initial percent %v", p.percent)
	}
	steps := []struct {
		line        string
		wantPercent float64
		wantLine    string
	}{
		{"create full clone of drive scsi0 (local-lvm:vm-100-disk-0)", -1, "create full clone of drive scsi0 (local-lvm:vm-100-disk-0)"},
		{"transferred 1.0 GiB of 10.0 GiB (10.00%)", 10, "transferred 1.0 GiB of 10.0 GiB (10.00%)"},
		{"transferred 10.0 GiB of 10.0 GiB (100.00%)", 100, "transferred 10.0 GiB of 10.0 GiB (100.00%)"},
		{"", 100, "transferred 10.0 GiB of 10.0 GiB (100.00%)"},
		{"create full clone of drive scsi1 (local-lvm:vm-100-disk-1)", 100, "create full clone of drive scsi1 (local-lvm:vm-100-disk-1)"},
		{"transferred 0.0 B of 10.0 GiB (0.00%)", 100, "transferred 0.0 B of 10.0 GiB (0.00%)"},
	}
	for i, s := range steps {
		p.add(s.line)
		if p.percent != s.wantPercent || p.line != s.wantLine {
			t.Errorf("step %d: percent %v line %q; want %v %q", i, p.percent, p.line, s.wantPercent, s.wantLine)
		}
	}
}
