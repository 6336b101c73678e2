package guard

import (
	"context"
	"net/url"
	"testing"
)

// benchPath and benchCases are the requests pve_vm_set_config sends in
// BenchmarkSetConfigCall (internal/tools), so the two can be set side by side.
const benchPath = "/nodes/pve1/qemu/100/config"

var benchCases = []struct {
	name  string
	vmids []int // the guest allowlist; nil: none
	form  url.Values
}{
	{"cores_memory", nil, form("cores", "2", "memory", "2048")},
	{"cores_memory_allowlist", []int{100}, form("cores", "2", "memory", "2048")},
	{"disk", nil, form("cores", "2", "memory", "2048", "scsi1", "local-lvm:vm-100-disk-1")},
	{"disk_allowlist", []int{100}, form("cores", "2", "memory", "2048", "scsi1", "local-lvm:vm-100-disk-1")},
}

func benchYes(context.Context, string) error { return nil }

// BenchmarkGuardCheck is the guard's share of a pve_vm_set_config call: the
// check of its PUT, schema already loaded. Each op takes a fresh Call, as
// each tool call does, so the cluster read an allowlist needs is counted.
func BenchmarkGuardCheck(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			e := newTestEnv(b, Options{Allow: NewAllowlist(nil, bc.vmids)})
			ctx := context.Background()
			if err := e.g.Call(benchYes).check(ctx, "PUT", benchPath, bc.form); err != nil {
				b.Fatal(err) // this first check loads the schema
			}
			for b.Loop() {
				if err := e.g.Call(benchYes).check(ctx, "PUT", benchPath, bc.form); err != nil {
					b.Fatal(err)
				}
				e.fake.mu.Lock()
				e.fake.requests = e.fake.requests[:0]
				e.fake.mu.Unlock()
			}
		})
	}
}

// BenchmarkGuardFirstUse is the one-time cost the steady state leaves out:
// a new guard's first check, which parses the release's API schema.
func BenchmarkGuardFirstUse(b *testing.B) {
	e := newTestEnv(b, Options{})
	ctx := context.Background()
	for b.Loop() {
		g := New(e.g.raw, Options{Release: "9.1"}) // a registry of its own
		if err := g.Call(benchYes).check(ctx, "PUT", benchPath, benchCases[0].form); err != nil {
			b.Fatal(err)
		}
	}
}
