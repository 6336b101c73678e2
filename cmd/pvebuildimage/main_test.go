package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildHello builds a tiny static program for linux/goarch.
func buildHello(t *testing.T, goarch string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func noEnv(string) (string, bool) { return "", false }

func TestRunWritesEveryOutput(t *testing.T) {
	amd, arm := buildHello(t, "amd64"), buildHello(t, "arm64")
	dir := t.TempDir()
	args := func(tag string) []string {
		return []string{"--binary", "linux/amd64=" + amd, "--binary", "linux/arm64=" + arm, "--version", "1.0.0+dirty",
			"--revision", "abc", "--out", filepath.Join(dir, tag+".tar"), "--layout", filepath.Join(dir, tag),
			"--docker-tar", filepath.Join(dir, tag+"-docker.tar"), "--docker-platform", "linux/arm64"}
	}
	env := func(k string) (string, bool) { return "1700000000", k == "SOURCE_DATE_EPOCH" }
	var out, errOut bytes.Buffer
	if err := run(args("a"), env, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	sum := out.String()
	for _, want := range []string{"proxmox-mcp-server:1.0.0-dirty index sha256:", "linux/amd64 sha256:", "linux/arm64 sha256:", "MiB compressed"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	for _, p := range []string{"a.tar", "a/index.json", "a/oci-layout", "a-docker.tar"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("output %s: %v", p, err)
		}
	}
	out.Reset()
	if err := run(args("b"), env, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if out.String() != sum {
		t.Errorf("second build printed\n%s\nfirst\n%s", out.String(), sum)
	}
	for _, p := range []string{".tar", "-docker.tar", "/index.json"} {
		a, errA := os.ReadFile(filepath.Join(dir, "a"+p))
		b, errB := os.ReadFile(filepath.Join(dir, "b"+p))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds of the same input (%v, %v)", p, errA, errB)
		}
	}
	if err := run(append(args("c")[:len(args("c"))-1], "linux/s390x"), env, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "no image for platform linux/s390x") {
		t.Errorf("a docker platform not built: %v", err)
	}
}

func TestRunRejects(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--binary", "linux/amd64=x", "--version", "1"}, "no output"},
		{[]string{"--binary", "linux/amd64", "--out", "x.tar"}, "want os/arch=PATH"},
		{[]string{"--out", "x.tar", "stray"}, `unexpected argument "stray"`},
		{[]string{"--out", "x.tar", "--epoch", "yesterday"}, "want Unix seconds"},
		{[]string{"--out", "x.tar", "--epoch", "-5"}, "want Unix seconds"},
		{[]string{"--binary", "linux/amd64=/nonexistent", "--version", "1", "--out", "x.tar"}, "reading binary for linux/amd64"},
		{[]string{"--binary", "linux/amd64=/nonexistent", "--out", "x.tar"}, "no version"},
		{[]string{"--version", "1", "--out", "x.tar"}, "no binary"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		if err := run(c.args, noEnv, &out, &errOut); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to say %q", c.args, err, c.want)
		}
	}
}

func TestCreationTime(t *testing.T) {
	env := func(k string) (string, bool) { return "1700000000", k == "SOURCE_DATE_EPOCH" }
	cases := []struct {
		flag   string
		lookup func(string) (string, bool)
		want   int64
	}{
		{"", noEnv, 0},
		{"", env, 1700000000},
		{"42", env, 42},
	}
	for _, c := range cases {
		got, err := creationTime(c.flag, c.lookup)
		if err != nil || !got.Equal(time.Unix(c.want, 0)) {
			t.Errorf("creationTime(%q): %v, %v; want %d", c.flag, got, err, c.want)
		}
	}
	bad := func(k string) (string, bool) { return "soon", k == "SOURCE_DATE_EPOCH" }
	if _, err := creationTime("", bad); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("a bad SOURCE_DATE_EPOCH: %v", err)
	}
}
