package httpserver

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// Load shape of issue 6: 50 concurrent sessions, 100 tool calls each.
const (
	loadSessions = 50
	loadCalls    = 100
)

// loadCallsMix are read tools a client typically repeats; each reaches the
// simulator over HTTP.
var loadCallsMix = []mcp.CallToolParams{
	{Name: "pve_list_nodes", Arguments: map[string]any{}},
	{Name: "pve_vm_status", Arguments: map[string]any{"node": "pve1", "vmid": 100}},
	{Name: "pve_cluster_resources", Arguments: map[string]any{"type": "vm"}},
	{Name: "pve_list_vms", Arguments: map[string]any{"node": "pve2"}},
}

type memPoint struct {
	goroutines int
	heapMB     float64
}

func measure() memPoint {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memPoint{goroutines: runtime.NumGoroutine(), heapMB: float64(ms.HeapInuse) / (1 << 20)}
}

// BenchmarkLoad runs 50 sessions x 100 tool calls against the simulator
// through the whole HTTP stack (auth, checks, SDK handler, tools, Proxmox
// client) and reports latency percentiles, throughput, and goroutines and
// heap before the sessions opened and after they closed.
//
//	go test -run '^$' -bench Load -benchtime 1x ./internal/httpserver
func BenchmarkLoad(b *testing.B) {
	// Two tokens hold the 50 sessions, 25 each: above the default cap of 10
	// per token, which would evict sessions between calls.
	e := newEnv(b, envOpts{quietLog: true, http: config.HTTPConfig{MaxSessionsPerToken: loadSessions}})
	// Warm up once so lazily built state (schemas, pools) is in the baseline.
	warm := e.mustConnect(aliceToken, nil)
	call(b, warm, "pve_list_nodes", map[string]any{})
	warm.Close()
	simtest.Eventually(b, "the warm-up session to close", func() bool { return e.sessions() == 0 })
	e.client.Transport.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	e.sim.ResetRequests() // the simulator's request log is not the server's memory
	before := measure()

	var lat []time.Duration
	var elapsed time.Duration
	b.ResetTimer()
	for range b.N {
		l, el, err := runLoad(e)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, l...)
		elapsed += el
	}
	b.StopTimer()

	simtest.Eventually(b, "all sessions to close", func() bool { return e.sessions() == 0 })
	e.client.Transport.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	e.sim.ResetRequests()
	var after memPoint
	deadline := time.Now().Add(10 * time.Second)
	for {
		after = measure()
		if after.goroutines <= before.goroutines || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(before.goroutines), "goroutines-before")
	b.ReportMetric(float64(after.goroutines), "goroutines-after")
	b.ReportMetric(before.heapMB, "heap-MB-before")
	b.ReportMetric(after.heapMB, "heap-MB-after")
	b.ReportMetric(0, "ns/op") // the run is one fixed load, not per op
	if after.goroutines > before.goroutines+2 {
		b.Errorf("goroutines did not come back: %d before, %d after", before.goroutines, after.goroutines)
	}
	if after.heapMB > before.heapMB*1.5+8 {
		b.Errorf("heap did not come back: %.1f MB before, %.1f MB after", before.heapMB, after.heapMB)
	}
}

// runLoad opens the sessions at once, makes the calls, closes the sessions
// and returns every call's latency and the wall time.
func runLoad(e *env) ([]time.Duration, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, loadSessions*loadCalls)
		errs []error
		wg   sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	start := time.Now()
	for s := range loadSessions {
		wg.Go(func() {
			token := aliceToken
			if s%2 == 1 {
				token = bobToken
			}
			cs, err := e.connect(token, nil)
			if err != nil {
				fail(fmt.Errorf("session %d: connect: %w", s, err))
				return
			}
			defer cs.Close()
			mine := make([]time.Duration, 0, loadCalls)
			for i := range loadCalls {
				p := loadCallsMix[(s+i)%len(loadCallsMix)]
				t0 := time.Now()
				res, err := cs.CallTool(ctx, &p)
				mine = append(mine, time.Since(t0))
				if err != nil {
					fail(fmt.Errorf("session %d call %d %s: %w", s, i, p.Name, err))
					return
				}
				if res.IsError {
					fail(fmt.Errorf("session %d call %d %s: tool error: %s", s, i, p.Name, resultText(res)))
					return
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(errs) > 0 {
		return nil, 0, fmt.Errorf("%d errors, first: %w", len(errs), errs[0])
	}
	return lat, elapsed, nil
}

// BenchmarkSmallCallHTTP is BenchmarkSmallCall of internal/server over
// Streamable HTTP: one pve_version call, client included, at 1, 8 and 32
// in flight on one session.
//
//	go test -run '^$' -bench SmallCallHTTP -benchmem -count 6 ./internal/httpserver
func BenchmarkSmallCallHTTP(b *testing.B) {
	e := newEnv(b, envOpts{quietLog: true, http: config.HTTPConfig{MaxInflightPerSession: 64}})
	cs := e.mustConnect(aliceToken, nil)
	defer cs.Close()
	ctx := context.Background()
	callOnce := func() error {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "pve_version"})
		if err == nil && res.IsError {
			err = fmt.Errorf("pve_version: %v", res.Content)
		}
		return err
	}
	benchInFlight(b, callOnce)
}

// benchInFlight runs call at 1, 8 and 32 in flight, a sub-benchmark each,
// after one call that must succeed.
func benchInFlight(b *testing.B, call func() error) {
	if err := call(); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("inflight=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			jobs := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					for range jobs {
						if err := call(); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			defer wg.Wait()
			defer close(jobs)
			for b.Loop() {
				select {
				case jobs <- struct{}{}:
				case err := <-errs:
					b.Fatal(err)
				}
			}
		})
	}
}
