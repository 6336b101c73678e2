package pveschema

import "testing"

func TestParseVersion(t *testing.T) {
	for _, c := range []struct {
		in                  string
		major, minor, patch int
		ok                  bool
	}{
		{"9.1.3", 9, 1, 3, true}, {"7.1-10", 7, 1, 10, true}, {"8.4", 8, 4, 0, true}, {" 8.2.4\n", 8, 2, 4, true},
		{"9.1~rc1", 9, 1, 0, true}, {"9.0beta", 9, 0, 0, true},
		{"", 0, 0, 0, false}, {"9", 0, 0, 0, false}, {"x.1", 0, 0, 0, false}, {"9.x", 0, 0, 0, false}, {"-1.2", 0, 0, 0, false},
	} {
		ma, mi, pa, ok := ParseVersion(c.in)
		if ma != c.major || mi != c.minor || pa != c.patch || ok != c.ok {
			t.Errorf("ParseVersion(%q) = %d, %d, %d, %v; want %d, %d, %d, %v", c.in, ma, mi, pa, ok, c.major, c.minor, c.patch, c.ok)
		}
	}
}

func TestReleaseFor(t *testing.T) {
	for in, want := range map[string]string{
		"9.1.3": "9.1", "9.0.1": "9.1", "10.2": "9.1", "8.4.14": "8.4", "8.0.3": "8.4", "8": "8.4",
		"7.4-16": "7.4", "7.1-10": "7.4", "6.4-13": "7.4", "": "9.1", "garbage": "9.1",
	} {
		if got := ReleaseFor(in); got != want {
			t.Errorf("ReleaseFor(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReleases: every row names an embedded schema of its own version, and
// the version it reports maps back to it.
func TestReleases(t *testing.T) {
	for _, r := range Releases() {
		s, err := Load(r.Name)
		if err != nil {
			t.Fatal(err)
		}
		if s.Version() != r.Schema {
			t.Errorf("%s: schema file holds version %q, row says %q", r.Name, s.Version(), r.Schema)
		}
		if got := ReleaseFor(r.Reported); got != r.Name {
			t.Errorf("%s: reported %q maps to %q", r.Name, r.Reported, got)
		}
		for _, name := range []string{r.Name, r.Schema, r.Name[:1]} {
			if got, ok := FindRelease(name); !ok || got.Name != r.Name {
				t.Errorf("FindRelease(%q) = %q, %v", name, got.Name, ok)
			}
		}
	}
	if _, ok := FindRelease("6.4"); ok {
		t.Error("FindRelease(6.4) found a release that does not ship")
	}
}
