package execallow

import (
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	l, err := ParseCommands("ro:/usr/bin/df ...; ro:/usr/bin/systemctl status *\n/usr/bin/systemctl restart nginx;/usr/bin/cat /var/log/*; ;uptime")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		argv []string
		ok   bool
		ro   bool
	}{
		{[]string{"/usr/bin/df"}, true, true},
		{[]string{"/usr/bin/df", "-h", "/"}, true, true},
		{[]string{"df", "-h"}, false, false},
		{[]string{"/usr/bin/systemctl", "status", "ssh"}, true, true},
		{[]string{"/usr/bin/systemctl", "status"}, false, false},
		{[]string{"/usr/bin/systemctl", "status", "ssh", "cron"}, false, false},
		{[]string{"/usr/bin/systemctl", "restart", "nginx"}, true, false},
		{[]string{"/usr/bin/systemctl", "restart", "sshd"}, false, false},
		{[]string{"/usr/bin/cat", "/var/log/syslog"}, true, false},
		{[]string{"/usr/bin/cat", "/var/log/../../etc/shadow"}, false, false},
		{[]string{"/usr/bin/cat", "/var/log/apt/history.log"}, false, false},
		// a wildcard element never stands for the parent, the directory itself or "."
		{[]string{"/usr/bin/cat", "/var/log/.."}, false, false},
		{[]string{"/usr/bin/cat", "/var/log/."}, false, false},
		{[]string{"/usr/bin/cat", "/var/log/"}, false, false},
		{[]string{"/usr/bin/cat", "/var/log/.hidden"}, true, false},
		{[]string{"/usr/bin/systemctl", "status", ".."}, false, false}, // relative to the agent's working directory, /
		{[]string{"uptime"}, true, false},
		{nil, false, false},
	}
	for _, c := range cases {
		r, ok := l.Match(c.argv)
		if ok != c.ok || r.ReadOnly != c.ro {
			t.Errorf("%q: matched %v (%+v), want %v ro %v", c.argv, ok, r, c.ok, c.ro)
		}
	}
	if got := strings.Join(l.Entries(), "; "); !strings.HasPrefix(got, "ro:/usr/bin/df ...; ro:/usr/bin/systemctl status *; /usr/bin/systemctl restart nginx") {
		t.Errorf("entries: %s", got)
	}
	for _, bad := range []string{"*", "... x", "/bin/ls ... -l", "ro:?"} {
		if _, err := ParseCommands(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if l, _ := ParseCommands(""); !l.Empty() {
		t.Error("empty spec allows something")
	}
}

func TestPaths(t *testing.T) {
	l, err := ParsePaths("ro:/var/log/**; /etc/motd; /srv/app/*.conf")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path  string
		write bool
		ok    bool
	}{
		{"/var/log/syslog", false, true},
		{"/var/log/apt/history.log", false, true},
		{"/var/log/syslog", true, false},
		{"/var/log", false, false},
		{"/var/log/../../etc/shadow", false, false},
		{"/var/log//x", false, false},
		{"/etc/motd", true, true},
		{"/etc/motd/", false, false},
		{"/srv/app/web.conf", true, true},
		{"/srv/app/sub/web.conf", false, false},
		{"etc/motd", false, false},
	}
	for _, c := range cases {
		if _, ok := l.Match(c.path, c.write); ok != c.ok {
			t.Errorf("%s write=%v: %v, want %v", c.path, c.write, ok, c.ok)
		}
	}
	for _, bad := range []string{"var/log", "/var/../etc", "/a/**/b", "/", "/x/"} {
		if _, err := ParsePaths(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzCommandMatch(f *testing.F) {
	f.Add("/usr/bin/cat /var/log/*", "/usr/bin/cat", "/var/log/x")
	f.Add("ro:/bin/* ...", "/bin/../sbin/reboot", "")
	f.Fuzz(func(t *testing.T, spec, prog, arg string) {
		l, err := ParseCommands(spec)
		if err != nil {
			return
		}
		argv := []string{prog}
		if arg != "" {
			argv = append(argv, arg)
		}
		r, ok := l.Match(argv)
		if !ok {
			return
		}
		// A wildcard never lets a "/" through that the entry did not spell.
		words := strings.Fields(r.Text)
		for i, a := range argv {
			if i < len(words) && words[i] != "..." && strings.Count(a, "/") != strings.Count(words[i], "/") {
				t.Fatalf("%q matched %q across a /", a, words[i])
			}
		}
	})
}

// Review findings: wildcards stop at "\" too (Windows guests), never match
// an option unless the pattern starts with "-", and "ro:" alone is refused.
func TestCommandsReviewed(t *testing.T) {
	l, err := ParseCommands(`ro:C:\Windows\System32\*; ro:/usr/bin/date *; ro:/usr/bin/journalctl -*; /usr/bin/ls /home/*`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		argv []string
		ok   bool
	}{
		{[]string{`C:\Windows\System32\ipconfig.exe`}, true},
		{[]string{`C:\Windows\System32\..\..\Users\Public\evil.exe`}, false},
		{[]string{"/usr/bin/date", "+%s"}, true},
		{[]string{"/usr/bin/date", "-s@0"}, false},
		{[]string{"/usr/bin/journalctl", "-b"}, true},
		{[]string{"/usr/bin/ls", "/home/.."}, false},
		{[]string{"/usr/bin/ls", "/home/"}, false},
		{[]string{"/usr/bin/ls", "/home/ann"}, true},
	} {
		if _, ok := l.Match(c.argv); ok != c.ok {
			t.Errorf("%q: matched %v, want %v", c.argv, ok, c.ok)
		}
	}
	if _, err := ParseCommands("ro:/usr/bin/df ...; ro:"); err == nil {
		t.Error(`"ro:" alone parsed`)
	}
}
