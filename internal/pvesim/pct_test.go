package pvesim

import (
	"slices"
	"strings"
	"testing"
)

func TestShellWords(t *testing.T) {
	cases := []struct {
		line string
		want []string
		bad  bool
	}{
		{"pct exec 200 -- echo hi", []string{"pct", "exec", "200", "--", "echo", "hi"}, false},
		{`echo 'x; reboot' "a b" c\ d 'it'\''s'`, []string{"echo", "x; reboot", "a b", "c d", "it's"}, false},
		{"echo x; reboot", nil, true},
		{"echo $(id)", nil, true},
		{"echo *", nil, true},
		{"echo 'open", nil, true},
		{"echo a#b ''", []string{"echo", "a#b", ""}, false},
	}
	for _, c := range cases {
		got, err := shellWords(c.line)
		if c.bad != (err != nil) || !c.bad && !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, %v", c.line, got, err)
		}
	}
}

func TestPctExec(t *testing.T) {
	e := newEnv(t, Options{})
	s := e.sim
	if r := s.nodeCommand("pve1", "pct exec 200 -- uname -r"); r.code != 0 || r.out != s.kernel()+"\n" {
		t.Errorf("uname -r: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 200 -- df -h"); r.code != 0 || !strings.Contains(r.out, "/dev/mapper/pve-vm--200--disk--0") ||
		!strings.HasSuffix(strings.SplitN(r.out, "\n", 3)[1], " /") {
		t.Errorf("df -h: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 200 -- ip a"); r.code != 0 || !strings.Contains(r.out, "eth0") {
		t.Errorf("ip a: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 200 -- bash -c nosuch"); r.code != 127 || r.err != "bash: line 1: nosuch: command not found\n" {
		t.Errorf("bash -c nosuch: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 999 -- true"); r.code != 255 || r.err != "Configuration file 'nodes/pve1/lxc/999.conf' does not exist\n" {
		t.Errorf("999: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 100 -- true"); r.code != 255 || !strings.Contains(r.err, "lxc/100.conf") {
		t.Errorf("a VM: %+v", r)
	}
	if r := s.nodeCommand("pve1", "pct exec 200 -- sleep 2"); r.code != 0 || r.wait != 2e9 {
		t.Errorf("sleep: %+v", r)
	}
	if r := s.nodeCommand("pve1", "reboot"); r.code != 127 {
		t.Errorf("reboot: %+v", r)
	}
}
