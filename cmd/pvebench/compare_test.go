package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestChecks(t *testing.T) {
	f := figures{coldOurs: 24, coldBare: 20, rssOurs: 40, rssBare: 20,
		cpuStdio: map[int]float64{1: 0.4, 8: 0.3, 32: 0.3}, cpuHTTP: map[int]float64{1: 0.6, 8: 0.3, 32: 0.46},
		listMS: 20, listBytes: 11999, listAllMS: 93, haveList: true}
	want := map[string]bool{
		"cold start (ms), ours / bare go-sdk":           true, // 1.2x exactly
		"peak RSS after the calls (MiB), ours / bare":   false,
		"CPU per call, 1 in flight (ms), http / stdio":  true,
		"CPU per call, 8 in flight (ms), http / stdio":  true,
		"CPU per call, 32 in flight (ms), http / stdio": false,
		"pve_list_vms default latency":                  false,
		"pve_list_vms default text":                     true,
		"pve_list_vms all latency, ref":                 true, // 93 ms exactly
		"stdio CPU per call, 1 in flight, ref/2":        true, // 0.4 <= 0.425
		"stdio CPU per call, 8 in flight, ref/2":        false,
		"stdio CPU per call, 32 in flight, ref/2":       false,
	}
	cs := f.checks()
	if len(cs) != len(want) {
		t.Fatalf("%d checks, want %d", len(cs), len(want))
	}
	for _, c := range cs {
		if w, ok := want[c.figure]; !ok || c.pass() != w {
			t.Errorf("%s: value %v pass %v, want %v", c.figure, c.value(), c.pass(), w)
		}
	}
	f.haveList = false
	if n := len(f.checks()); n != len(want)-3 {
		t.Errorf("%d checks without a list figure", n)
	}
	var out bytes.Buffer
	printCompare(&out, cs)
	for _, s := range []string{"1.20x", "<= 1.2x", "FAIL", "< 20 ms", "6 of 11 targets met", "<= 93 ms"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("no %q in\n%s", s, out.String())
		}
	}
}
