package pveid

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestVMIDPatternIsTheBounds(t *testing.T) {
	re := regexp.MustCompile(VMIDPattern)
	for _, id := range []int{0, 1, 99, MinVMID, 101, 999, 1000, 123456789, MaxVMID, MaxVMID + 1, 1 << 40, -100} {
		if got := re.MatchString(strconv.Itoa(id)); got != ValidVMID(id) {
			t.Errorf("VMID %d: pattern %v, bounds %v", id, got, ValidVMID(id))
		}
	}
	for _, s := range []string{"0100", "+100", " 100", "1e3", ""} {
		if re.MatchString(s) {
			t.Errorf("VMIDPattern matches %q", s)
		}
	}
}

func TestValidNode(t *testing.T) {
	for _, s := range []string{"pve", "pve1", "PVE-01", "a", "1", strings.Repeat("a", MaxNodeLen)} {
		if !ValidNode(s) {
			t.Errorf("ValidNode(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-pve", "pve-", "pve_1", "pve.example", "pve 1", strings.Repeat("a", MaxNodeLen+1), "pve\n"} {
		if ValidNode(s) {
			t.Errorf("ValidNode(%q) = true", s)
		}
	}
}

// The guard's byte reader and the schemas' pattern are one rule.
func TestValidStorageIDIsThePattern(t *testing.T) {
	re := regexp.MustCompile(StoragePattern)
	inputs := []string{"", "a", "ab", "local", "local-lvm", "a.b_c-d", "a-", "1a", "a1", "A9", "a:b", "a b", "ä1", "aK", "a\n"}
	for c := 0; c < 256; c++ {
		inputs = append(inputs, "a"+string(rune(c))+"b", "a"+string(rune(c)), string(rune(c))+"b")
	}
	for _, s := range inputs {
		if got, want := ValidStorageID(s), re.MatchString(s); got != want {
			t.Errorf("ValidStorageID(%q) = %v, StoragePattern %v", s, got, want)
		}
	}
}

func TestParseVolumeID(t *testing.T) {
	sid, name, err := ParseVolumeID("local:iso/debian-12.iso")
	if err != nil || sid != "local" || name != "iso/debian-12.iso" {
		t.Fatalf("ParseVolumeID = %q, %q, %v", sid, name, err)
	}
	for _, s := range []string{"", "local", "local:", ":x", "l:x", "local:a\nb", "local:a\x00", "lo cal:x"} {
		if _, _, err := ParseVolumeID(s); err == nil {
			t.Errorf("ParseVolumeID(%q): no error", s)
		}
	}
	if _, _, err := ParseVolumeID("x:y"); err == nil || err.Error() != "unable to parse volume ID 'x:y'" {
		t.Errorf("error %v, want Proxmox's text", err)
	}
}

func TestVolumeAndSnapPatterns(t *testing.T) {
	vol := regexp.MustCompile(VolumePattern)
	for s, want := range map[string]bool{
		"local:vztmpl/debian-12.tar.zst": true, "pbs:backup/vm/100/2024-01-01T00:00:00Z": true,
		"local:a b": false, "local:a,b": false, "l:x": false, "local:": false,
	} {
		if vol.MatchString(s) != want {
			t.Errorf("VolumePattern on %q: want %v", s, want)
		}
	}
	snap := regexp.MustCompile(SnapPattern)
	for s, want := range map[string]bool{
		"before-upgrade": true, "s1": true, "s": false, "1st": false, "a.b": false,
		"a" + strings.Repeat("b", 39): true, "a" + strings.Repeat("b", 40): false,
	} {
		if snap.MatchString(s) != want {
			t.Errorf("SnapPattern on %q: want %v", s, want)
		}
	}
}
