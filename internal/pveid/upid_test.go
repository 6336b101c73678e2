package pveid

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseUPID(t *testing.T) {
	valid := []struct {
		in   string
		want UPID
	}{
		{"UPID:proxmox:0035D677:03AB00C3:66DC5987:qmclone:132:root@pam:",
			UPID{Node: "proxmox", PID: 0x35D677, PStart: 0x3AB00C3, StartTime: 0x66DC5987, Type: "qmclone", ID: "132", User: "root@pam"}},
		{"UPID:pve-01:00068180:17BE8318:697285F2:qmdelsnapshot:801:root@pam:",
			UPID{Node: "pve-01", PID: 0x68180, PStart: 0x17BE8318, StartTime: 0x697285F2, Type: "qmdelsnapshot", ID: "801", User: "root@pam"}},
		{"UPID:node-2:00050531:0038D96F:6906CD7B:qmtunnel:6186:root@pam!migracion:",
			UPID{Node: "node-2", PID: 0x50531, PStart: 0x38D96F, StartTime: 0x6906CD7B, Type: "qmtunnel", ID: "6186", User: "root@pam!migracion"}},
		{"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam!mcp:",
			UPID{Node: "pve1", PID: 0x1234, PStart: 0xABCDEF, StartTime: 0x6790A1B2, Type: "qmstart", ID: "100", User: "root@pam!mcp"}},
		// pstart grows to 9 hex digits after ~497 days of uptime.
		{"UPID:pve2:000F4240:1A2B3C4D5:6790A1B2:vzdump::backup@pve!job:",
			UPID{Node: "pve2", PID: 0xF4240, PStart: 0x1A2B3C4D5, StartTime: 0x6790A1B2, Type: "vzdump", ID: "", User: "backup@pve!job"}},
		{"UPID:a:0000abcd:0000ef01:6790a1b2:download:debian-12.iso:root@pam:",
			UPID{Node: "a", PID: 0xABCD, PStart: 0xEF01, StartTime: 0x6790A1B2, Type: "download", ID: "debian-12.iso", User: "root@pam"}},
		{"UPID:pve1:00001234:00ABCDEF:6790A1B2:srvreload:networking:root@pam:",
			UPID{Node: "pve1", PID: 0x1234, PStart: 0xABCDEF, StartTime: 0x6790A1B2, Type: "srvreload", ID: "networking", User: "root@pam"}},
	}
	for _, tc := range valid {
		got, err := ParseUPID(tc.in)
		if err != nil {
			t.Errorf("ParseUPID(%q): %v", tc.in, err)
			continue
		}
		tc.want.Raw = tc.in
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseUPID(%q) (-want +got):\n%s", tc.in, diff)
		}
		if got.String() != tc.in {
			t.Errorf("String() = %q", got.String())
		}
	}

	invalid := []string{
		"",
		"OK",
		"100",
		"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam",    // no trailing colon
		"upid:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam:",   // lower-case prefix
		"UPID:pve1:1234:00ABCDEF:6790A1B2:qmstart:100:root@pam:",       // short pid
		"UPID:pve1:00001234:ABCDEF:6790A1B2:qmstart:100:root@pam:",     // short pstart
		"UPID:pve1:00001234:1A2B3C4D5E:6790A1B2:qmstart:100:root@pam:", // 10-digit pstart
		"UPID:pve1:00001234:00ABCDEF:6790A1B:qmstart:100:root@pam:",    // short starttime
		"UPID:pve1:0000123G:00ABCDEF:6790A1B2:qmstart:100:root@pam:",   // not hex
		"UPID:-pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam:",  // bad node
		"UPID:pve1-:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam:",  // bad node
		"UPID:pve_1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam:",  // bad node
		"UPID:pve1:00001234:00ABCDEF:6790A1B2::100:root@pam:",          // empty type
		"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100::",           // empty user
		"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:1/0:root@pam:",   // slash in id
		"UPID:pve1:00001234:00ABCDEF:6790A1B2:qm start:100:root@pam:",  // space
		"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam:\n", // trailing newline
		" UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam:",
		"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam:extra:",
	}
	for _, s := range invalid {
		if u, err := ParseUPID(s); err == nil {
			t.Errorf("ParseUPID(%q) = %+v, want error", s, u)
		}
	}
}

func TestUPIDStringWithoutRaw(t *testing.T) {
	u := UPID{Node: "pve1", PID: 0x1234, PStart: 0xABCDEF, StartTime: 0x6790A1B2, Type: "vzdump", User: "root@pam!mcp"}
	if got, want := u.String(), "UPID:pve1:00001234:00ABCDEF:6790A1B2:vzdump::root@pam!mcp:"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
