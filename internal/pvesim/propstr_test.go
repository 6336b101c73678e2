package pvesim

import "testing"

// propValue reads what parsePropString would, for every key.
func TestPropValueAgreesWithParse(t *testing.T) {
	for _, tc := range []struct{ s, defKey string }{
		{"local-lvm:vm-100-disk-0,iothread=1,size=32G", "file"},
		{"file=local:iso/x.iso,media=cdrom", "file"},
		{"4096", "current"},
		{"current=2048,max=8192", "current"},
		{"virtio=BC:24:11:00:00:01,bridge=vmbr0,,firewall=1,bridge=vmbr1", "model"},
		{"", "volume"},
		{",,", "volume"},
	} {
		p := parsePropString(tc.s, tc.defKey)
		for _, k := range append(p.keys, "nope") {
			if got, want := propValue(tc.s, tc.defKey, k), p.get(k); got != want {
				t.Errorf("propValue(%q, %q, %q) = %q, parse says %q", tc.s, tc.defKey, k, got, want)
			}
		}
	}
}
