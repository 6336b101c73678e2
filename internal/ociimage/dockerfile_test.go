package ociimage

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	line      int
}

// stage is the instructions from one FROM to the next.
type stage struct {
	from string
	ins  []instruction
}

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.ins {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// parseDockerfile reads the instructions Docker would: comment lines are
// dropped (also inside a continued instruction), a trailing backslash joins
// the next line.
func parseDockerfile(text string) ([]stage, error) {
	var stages []stage
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if body, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			stages = append(stages, stage{from: in.args})
			continue
		}
		if len(stages) == 0 {
			return nil, fmt.Errorf("line %d: %s before FROM", in.line, in.cmd)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("line %d: continued past the end", start)
	}
	return stages, sc.Err()
}

// pairs reads ENV's and LABEL's key=value list; values may be double-quoted.
func pairs(t *testing.T, in instruction) map[string]string {
	t.Helper()
	out := map[string]string{}
	var word strings.Builder
	quoted := false
	flush := func() {
		if word.Len() == 0 {
			return
		}
		k, v, ok := strings.Cut(word.String(), "=")
		if !ok {
			t.Fatalf("line %d: %s %q is not key=value", in.line, in.cmd, word.String())
		}
		out[k] = v
		word.Reset()
	}
	for _, r := range in.args {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			flush()
		default:
			word.WriteRune(r)
		}
	}
	if quoted {
		t.Fatalf("line %d: unclosed quote", in.line)
	}
	flush()
	return out
}

func readDockerfile(t *testing.T) (build, final stage) {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages, want a build stage and the image", len(stages))
	}
	return stages[0], stages[1]
}

// The Dockerfile builds the server as the release does, with the Go of go.mod.
func TestDockerfileBuildStage(t *testing.T) {
	build, _ := readDockerfile(t)
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := regexp.MustCompile(`^golang:` + regexp.QuoteMeta(string(goLine[1])) + `\.\d+ AS build$`); !want.MatchString(build.from) {
		t.Errorf("build stage FROM %q, want golang:%s.<patch> AS build (a pinned toolchain)", build.from, goLine[1])
	}
	var runs []string
	for _, in := range build.all("RUN") {
		runs = append(runs, in.args)
	}
	run := strings.Join(runs, "\n")
	for _, want := range []string{
		"CGO_ENABLED=0 go build -trimpath",
		`-ldflags "` + LDFlags("${VERSION}", "${COMMIT}", "${DATE}") + `"`,
		"-o /out/proxmox-mcp-server ./cmd/proxmox-mcp-server",
		"chmod 1777 /rootfs" + TmpPath,
		"chmod 700 /rootfs" + HomePath,
		fmt.Sprintf("chown %d:%d /rootfs%s", UID, UID, HomePath),
	} {
		if !strings.Contains(run, want) {
			t.Errorf("build stage runs no %q", want)
		}
	}
	checkArgs(t, build, "VERSION", "COMMIT", "DATE")
}

// The image the Dockerfile makes has the Go builder's files, user,
// entrypoint, environment and labels, and nothing else.
func TestDockerfileImage(t *testing.T) {
	_, final := readDockerfile(t)
	if final.from != "scratch" {
		t.Errorf("image FROM %q, want scratch", final.from)
	}
	checkArgs(t, final, "VERSION", "COMMIT")

	copies := map[string]string{} // destination: source
	for _, in := range final.all("COPY") {
		f := strings.Fields(in.args)
		copies[f[len(f)-1]] = strings.Join(f[:len(f)-1], " ")
	}
	want := map[string]string{
		CAPath:     "--from=build " + DefaultCAFile,
		PasswdPath: RootfsDir + PasswdPath,
		GroupPath:  RootfsDir + GroupPath,
		"/":        "--from=build /rootfs/", // TmpPath and HomePath, made in the build stage
		BinaryPath: "--from=build /out/proxmox-mcp-server",
	}
	if !maps.Equal(copies, want) {
		t.Errorf("COPY destinations and sources\n%v\nwant\n%v", copies, want)
	}
	if len(final.all("ADD")) > 0 || len(final.all("RUN")) > 0 {
		t.Error("the image stage ADDs or RUNs; scratch has nothing to run and the Go builder adds nothing else")
	}
	for _, p := range []string{PasswdPath, GroupPath} {
		if _, err := os.Stat(filepath.Join("../..", RootfsDir, p)); err != nil {
			t.Errorf("the Dockerfile copies %s: %v", RootfsDir+p, err)
		}
	}

	if u := final.all("USER"); len(u) != 1 || u[0].args != User {
		t.Errorf("USER %v, want %s", u, User)
	}
	if e := final.all("ENTRYPOINT"); len(e) != 1 {
		t.Errorf("%d ENTRYPOINTs", len(e))
	} else {
		var ep []string
		if err := json.Unmarshal([]byte(e[0].args), &ep); err != nil || !slices.Equal(ep, Entrypoint()) {
			t.Errorf("ENTRYPOINT %s (%v), want the exec form of %q", e[0].args, err, Entrypoint())
		}
	}
	if len(final.all("CMD")) > 0 {
		t.Error("a CMD the Go builder does not set")
	}
	env := map[string]string{}
	for _, in := range final.all("ENV") {
		maps.Copy(env, pairs(t, in))
	}
	wantEnv := map[string]string{}
	for _, kv := range Env() {
		k, v, _ := strings.Cut(kv, "=")
		wantEnv[k] = v
	}
	if !maps.Equal(env, wantEnv) {
		t.Errorf("ENV %v, want %v", env, wantEnv)
	}
	labels := map[string]string{}
	for _, in := range final.all("LABEL") {
		maps.Copy(labels, pairs(t, in))
	}
	if want := Labels("${VERSION}", "${COMMIT}"); !maps.Equal(labels, want) {
		t.Errorf("LABEL %v\nwant %v", labels, want)
	}
}

func checkArgs(t *testing.T, s stage, names ...string) {
	t.Helper()
	var have []string
	for _, in := range s.all("ARG") {
		name, _, _ := strings.Cut(in.args, "=")
		have = append(have, name)
	}
	for _, n := range names {
		if !slices.Contains(have, n) {
			t.Errorf("stage FROM %s declares no ARG %s", s.from, n)
		}
	}
}

// .dockerignore leaves in what the build copies and compiles.
func TestDockerignoreKeepsTheModule(t *testing.T) {
	b, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum", "third_party/go-sdk/go.mod", RootfsDir + PasswdPath, RootfsDir + GroupPath,
		"cmd/proxmox-mcp-server/main.go", "internal/pveschema/schema.go", "internal/ociimage/spec.go"}
	for _, line := range strings.Split(string(b), "\n") {
		pat := strings.TrimPrefix(strings.TrimSpace(line), "/")
		if pat == "" || strings.HasPrefix(pat, "#") {
			continue
		}
		for _, p := range needed {
			for q := p; q != "."; q = filepath.Dir(q) {
				if ok, err := filepath.Match(pat, q); err != nil || ok {
					t.Errorf(".dockerignore %q leaves out %s (%v)", pat, p, err)
				}
			}
		}
	}
}

// The license label names the repository's license.
func TestLicenseLabel(t *testing.T) {
	heads := map[string]string{
		"MIT":               "MIT License",
		"Apache-2.0":        "Apache License",
		"AGPL-3.0-only":     "GNU AFFERO GENERAL PUBLIC LICENSE",
		"AGPL-3.0-or-later": "GNU AFFERO GENERAL PUBLIC LICENSE",
	}
	head, ok := heads[License]
	if !ok {
		t.Fatalf("License %q: add its LICENSE heading to this test", License)
	}
	b, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n"); !strings.Contains(first, head) {
		t.Errorf("LICENSE begins %q; License %q wants %q", first, License, head)
	}
}
