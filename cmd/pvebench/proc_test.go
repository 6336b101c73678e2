package main

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	stat := "1234 (proxmox (mcp) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 9 0 100 0 0"
	got, err := parseStatCPU(stat)
	if err != nil || got != 2*time.Second {
		t.Fatalf("got %v, %v; want 2s", got, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Fatal("no error for a line without a command name")
	}
}

func TestParseVmHWM(t *testing.T) {
	got, err := parseVmHWM("Name:\tx\nVmPeak:\t 9 kB\nVmHWM:\t   43904 kB\nVmRSS:\t 1 kB\n")
	if err != nil || got != 43904*1024 {
		t.Fatalf("got %d, %v", got, err)
	}
}

func TestParseMem(t *testing.T) {
	m, err := parseMem("VmHWM:\t 3072 kB\nVmRSS:\t 2048 kB\nRssAnon:\t 1024 kB\nRssFile:\t 512 kB\nRssShmem:\t 0 kB\n")
	if err != nil || m != (mem{peak: 3 << 20, anon: 1 << 20, file: 512 << 10}) {
		t.Fatalf("got %+v, %v", m, err)
	}
	if _, err := parseMem("VmHWM:\t 3072 kB\n"); err == nil {
		t.Fatal("no error without RssAnon")
	}
}

func TestMedianQuantile(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Fatalf("median %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Fatalf("median %v", m)
	}
	xs := []float64{10, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if q := quantile(xs, 0.9); q != 9 {
		t.Fatalf("p90 %v", q)
	}
}

func TestFakeResources(t *testing.T) {
	rows := resourceRows(100)
	if len(rows) != 100+2*fakeNodes {
		t.Fatalf("%d rows", len(rows))
	}
	raw, err := envelope(rows)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Data []map[string]any }
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range got.Data {
		kinds[r["type"].(string)]++
	}
	if kinds["qemu"] != 80 || kinds["lxc"] != 20 || kinds["node"] != fakeNodes {
		t.Fatalf("kinds %v", kinds)
	}
}

// The test binary's own code is resident while it runs.
func TestResidentSplitOfSelf(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, err := resident(os.Getpid(), bin)
	if err != nil {
		t.Fatal(err)
	}
	if r.text <= 0 || r.pclntab <= 0 || r.rodata <= 0 {
		t.Fatalf("resident split %+v: text, rodata and pclntab should have pages", r)
	}
}
