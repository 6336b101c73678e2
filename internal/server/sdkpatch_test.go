package server_test

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// We build against a patched go-sdk in third_party/go-sdk (see its
// PATCHES.md). These tests say when that replace can go, and keep it from
// silently pinning an old SDK when go.mod's requirement moves on.

const sdkPath = "github.com/modelcontextprotocol/go-sdk"

// sdkModule reads go.mod (test binaries carry no module information): the
// go-sdk version required and the directory a replace points it at, if any.
func sdkModule(t *testing.T) (version, replacedBy string) {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.QuoteMeta(sdkPath)
	req := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + quoted + `\s+(v\S+)`).FindSubmatch(mod)
	if req == nil {
		t.Fatalf("go.mod does not require %s", sdkPath)
	}
	if rep := regexp.MustCompile(`(?m)^\s*(?:replace\s+)?` + quoted + `(?:\s+v\S+)?\s+=>\s+(\S+)`).FindSubmatch(mod); rep != nil {
		replacedBy = string(rep[1])
	}
	return string(req[1]), replacedBy
}

// TestSDKDecodeGarbage checks the fix the patch carries: decoding a message
// no longer allocates a 32 KiB Decoder buffer per Unmarshal (twice per
// message), the largest garbage per call.
func TestSDKDecodeGarbage(t *testing.T) {
	line := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"pve_version","arguments":{}}}`)
	perMessage := bytesPerRun(100, func() {
		if _, err := jsonrpc.DecodeMessage(line); err != nil {
			t.Fatal(err)
		}
	})
	const limit = 8 << 10
	if perMessage <= limit {
		return
	}
	version, replacedBy := sdkModule(t)
	if replacedBy != "" {
		t.Fatalf("jsonrpc.DecodeMessage allocates %d bytes per small message (limit %d) with the go-sdk patched in %s: the patch no longer holds (see third_party/go-sdk/PATCHES.md)",
			perMessage, limit, replacedBy)
	}
	t.Fatalf("go-sdk %s: jsonrpc.DecodeMessage allocates %d bytes per small message (limit %d): it lacks the fix; restore the replace of third_party/go-sdk (see its PATCHES.md)",
		version, perMessage, limit)
}

// TestSDKReplacePinned fails once go.mod requires another go-sdk than the
// one third_party/go-sdk holds: the replace would silently keep the old one.
func TestSDKReplacePinned(t *testing.T) {
	version, replacedBy := sdkModule(t)
	if replacedBy == "" {
		t.Skipf("go-sdk %s is used as released, without the replace; TestSDKDecodeGarbage checks that it has the fix", version)
	}
	notes, err := os.ReadFile(filepath.Join("..", "..", "third_party", "go-sdk", "PATCHES.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Base: (v\S+)`).FindSubmatch(notes)
	if m == nil {
		t.Fatal(`third_party/go-sdk/PATCHES.md names no "Base: vX.Y.Z"`)
	}
	if base := string(m[1]); base != version {
		t.Fatalf("go.mod requires go-sdk %s but third_party/go-sdk is %s patched: if upstream go-sdk >= %s includes the fix: drop the replace "+
			"(TestSDKDecodeGarbage tells, run without it); otherwise apply third_party/go-sdk.patch to %s's source and update PATCHES.md",
			version, base, version, version)
	}
}

// bytesPerRun is testing.AllocsPerRun for bytes: the average allocated by
// f, on one P so that little else runs meanwhile. The limits it is held to
// are far from both sides, so it does not flake.
func bytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}
