// Command pvebench drives a built proxmox-mcp-server over stdio and Streamable
// HTTP against a fixed-response fake Proxmox and prints medians. It is a
// separate command so the shipped binary carries no bench code.
//
// Cold start and the peak RSS after -calls calls are also measured on a bare
// go-sdk server (./baseline, built unless -baseline names it) serving the
// same tools/list, and printed with the ratio ours/bare; -compare ends with
// issue 16's targets and PASS or FAIL for each.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type options struct {
	bin      string
	baseline string
	// baselineFetch is the baseline built to GET the fake on each call.
	baselineFetch string
	guests        int
	runs          int
	rssRuns       int
	calls         int
	quick         bool
	compare       bool
	only          string   // "lists", "calls" or "rss": one part
	env           []string // -env KEY=VALUE for ours, for A/B runs of runtime settings
	// -tasks (tasks.go)
	tasks        bool
	taskLengths  string
	taskCount    int
	taskParallel int
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pvebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("pvebench", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.bin, "bin", "./proxmox-mcp-server", "path of the server binary")
	fs.IntVar(&o.guests, "guests", 10000, "guests in the fake's /cluster/resources")
	fs.IntVar(&o.runs, "runs", 9, "repetitions of each timed scenario")
	fs.IntVar(&o.calls, "calls", 1000, "small calls per in-flight level (and before the peak RSS)")
	fs.StringVar(&o.baseline, "baseline", "", "path of the bare go-sdk server (cmd/pvebench/baseline); empty: go build it")
	fs.StringVar(&o.baselineFetch, "baseline-fetch", "", "path of the baseline built with -tags pvebench_fetch, for the RSS of bare + an HTTPS GET per call; empty: go build it")
	fs.IntVar(&o.rssRuns, "rssruns", 3, "fresh processes, each, for the peak RSS after -calls calls")
	fs.BoolVar(&o.quick, "quick", false, "a few seconds: 50 guests, 3 runs, 60 calls, 1 RSS run (a smoke test)")
	fs.BoolVar(&o.compare, "compare", false, "end with the issue 16 targets and PASS/FAIL for each")
	fs.StringVar(&o.only, "only", "", `only one part, for quick A/B runs: "lists" (pve_list_vms), "calls" (small calls, stdio and http) or "rss" (peak RSS, ours and bare) or "cold" (cold start, ours and bare)`)
	fs.BoolVar(&o.tasks, "tasks", false, "only the task-wait scenario: lag from a task's end to the answer, and polls")
	fs.StringVar(&o.taskLengths, "task-lengths", "", "task lengths in seconds, comma-separated (default: -task-count spread over 2..60)")
	fs.IntVar(&o.taskCount, "task-count", 12, "tasks spread over 2..60 s without -task-lengths")
	fs.IntVar(&o.taskParallel, "task-parallel", 4, "tasks waited for at once (on different guests)")
	fs.Func("env", "KEY=VALUE added to ours' environment (repeatable), to A/B a runtime setting such as GOGC", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return fmt.Errorf("-env %q: want KEY=VALUE", v)
		}
		o.env = append(o.env, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.quick {
		o.guests, o.runs, o.calls, o.rssRuns = 50, 3, 60, 1
	}
	if o.runs < 1 || o.rssRuns < 1 || o.calls < 1 {
		return fmt.Errorf("-runs, -rssruns and -calls must be at least 1")
	}
	f, err := newFake(o.guests)
	if err != nil {
		return err
	}
	defer f.Close()
	b := &bench{o: o, fake: f, out: out}
	if o.tasks {
		return b.allTasks(ctx)
	}
	return b.all(ctx)
}

type bench struct {
	o      options
	fake   *fake
	out    io.Writer
	writes bool // PVE_READONLY=false (the tasks scenario starts VMs on the fake)
}

func (b *bench) env() []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "PROXMOX_HOST=" + b.fake.URL(),
		"PROXMOX_TOKEN_ID=root@pam!bench", "PROXMOX_TOKEN_SECRET=00000000-0000-0000-0000-000000000000",
		"PROXMOX_INSECURE_TLS=true", "PVE_READONLY=" + strconv.FormatBool(!b.writes)}, b.o.env...)
}

func newClient() *mcp.Client {
	return mcp.NewClient(&mcp.Implementation{Name: "pvebench", Version: "1"}, nil)
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (t bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}

func (b *bench) all(ctx context.Context) error {
	fmt.Fprintf(b.out, "pvebench: %s, %d guests, %d runs, %d calls per level\n", b.o.bin, b.o.guests, b.o.runs, b.o.calls)
	dir, err := os.MkdirTemp("", "pvebench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	ours := b.ours()
	s, pid, err := b.stdio(ctx, ours)
	if err != nil {
		return err
	}
	defer s.Close()
	tl, err := s.ListTools(ctx, nil)
	if err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	if b.o.only != "" && b.o.only != "rss" && b.o.only != "cold" {
		return b.part(ctx, s, pid, tl.Tools)
	}
	toolsFile, err := writeTools(dir, tl.Tools)
	if err != nil {
		return err
	}
	bin, err := b.baselineBin(dir)
	if err != nil {
		return err
	}
	bare := bareTarget(bin, toolsFile)
	f := figures{cpuStdio: map[int]float64{}, cpuHTTP: map[int]float64{}}
	switch b.o.only {
	case "rss":
		if err := b.rssRows(ctx, ours, bare, dir, &f); err != nil {
			return err
		}
		printCompare(b.out, f.checks()[1:2])
		return nil
	case "cold":
		if err := b.coldRows(ctx, ours, bare, len(tl.Tools), &f); err != nil {
			return err
		}
		printCompare(b.out, f.checks()[:1])
		return nil
	}
	fmt.Fprintf(b.out, "%-50s %12s %12s\n", "scenario", "median", "p90")
	if err := b.coldRows(ctx, ours, bare, len(tl.Tools), &f); err != nil {
		return err
	}
	bytes := 0
	for _, t := range tl.Tools {
		raw, _ := json.Marshal(t.InputSchema)
		bytes += len(t.Name) + len(t.Description) + len(raw)
	}
	fmt.Fprintf(b.out, "%-50s %12d %12s\n", fmt.Sprintf("tools/list model-facing bytes (%d tools)", len(tl.Tools)), bytes, "")
	if err := b.rssRows(ctx, ours, bare, dir, &f); err != nil {
		return err
	}
	if err := b.lists(ctx, s, tl.Tools, &f); err != nil {
		return err
	}
	if f.cpuStdio, err = b.levels(ctx, "stdio", s, pid); err != nil {
		return err
	}
	if hwm, err := peakRSS(pid); err == nil {
		fmt.Fprintf(b.out, "%-50s %12.1f %12s\n", "peak RSS after the lists and calls (MiB)", float64(hwm)/(1<<20), "")
	}
	hs, hpid, stop, err := b.http(ctx, ours)
	if err != nil {
		return err
	}
	defer stop()
	defer hs.Close()
	if f.cpuHTTP, err = b.levels(ctx, "http", hs, hpid); err != nil {
		return err
	}
	if err := b.bareCPU(ctx, bare); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "fake: %d requests, %d to paths it does not serve\n", b.fake.requests.Load(), b.fake.unknown.Load())
	if b.o.compare {
		printCompare(b.out, f.checks())
	}
	return nil
}

// coldRows prints the cold starts of ours and of bare (serving n tools).
func (b *bench) coldRows(ctx context.Context, ours, bare target, n int, f *figures) error {
	starts, err := b.coldStarts(ctx, ours, bare)
	if err != nil {
		return err
	}
	b.row("cold start to initialize (ms)", starts[0].wall)
	b.row(fmt.Sprintf("cold start, bare go-sdk, %d tools (ms)", n), starts[1].wall)
	f.coldOurs, f.coldBare = median(starts[0].wall), median(starts[1].wall)
	b.ratio("cold start ours / bare", f.coldOurs, f.coldBare)
	// CPU time varies less than wall time on a loaded machine.
	b.row("cold start CPU, start to exit (ms)", starts[0].cpu)
	b.row("cold start CPU, bare (ms)", starts[1].cpu)
	b.ratio("cold start CPU ours / bare", median(starts[0].cpu), median(starts[1].cpu))
	return nil
}

// rssRows prints the peak RSS after o.calls calls of ours and of bare.
// dir is the run's temporary directory, where the fetching baseline is built.
func (b *bench) rssRows(ctx context.Context, ours, bare target, dir string, f *figures) error {
	// The bare server once more, each call a GET of the fake's version:
	// what the least real work (a TLS client to Proxmox) adds to it.
	bin, err := b.fetchingBin(dir)
	if err != nil {
		return err
	}
	fetching := bare
	fetching.bin = bin
	fetching.args = append(slices.Clone(bare.args), "-fetch", b.fake.URL()+"/api2/json/version")
	rss, err := b.rssAfterCalls(ctx, ours, bare, fetching)
	if err != nil {
		return err
	}
	for i, who := range []string{"", ", bare", ", bare + an HTTPS GET per call"} {
		peak := mib(rss[i], func(m mem) int64 { return m.peak })
		b.row(fmt.Sprintf("peak RSS after %d calls%s (MiB)", b.o.calls, who), peak)
		// The split says whether a gap is heap or the binary's pages.
		fmt.Fprintf(b.out, "%-50s %12s %12s\n", "  resident then, median (MiB)",
			fmt.Sprintf("%.1f anon", median(mib(rss[i], func(m mem) int64 { return m.anon }))),
			fmt.Sprintf("%.1f file", median(mib(rss[i], func(m mem) int64 { return m.file }))))
		fmt.Fprintf(b.out, "  the binary's resident pages, last run (MiB): %s\n", rss[i][len(rss[i])-1].split)
		switch i {
		case 0:
			f.rssOurs = median(peak)
		case 1:
			f.rssBare = median(peak)
		default:
			b.ratio("peak RSS bare + GET / bare", median(peak), f.rssBare)
		}
	}
	b.ratio("peak RSS ours / bare", f.rssOurs, f.rssBare)
	return nil
}

// levels prints and returns the CPU per small call at each in-flight level.
func (b *bench) levels(ctx context.Context, label string, s *mcp.ClientSession, pid int) (map[int]float64, error) {
	cpus := map[int]float64{}
	for _, n := range levels() {
		cpu, rate, err := b.small(ctx, s, pid, n)
		if err != nil {
			return nil, fmt.Errorf("%s, %d in flight: %w", label, n, err)
		}
		cpus[n] = cpu
		fmt.Fprintf(b.out, "%-50s %12.3f %12s\n", fmt.Sprintf("%s CPU per small call, %d in flight (ms)", label, n), cpu, fmt.Sprintf("%.0f/s", rate))
	}
	return cpus, nil
}

// bareCPU is what the SDK alone costs per call, for reading the http/stdio
// ratio of ours: the share of it the SDK's transports account for.
func (b *bench) bareCPU(ctx context.Context, bare target) error {
	s, pid, err := b.stdio(ctx, bare)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := b.levels(ctx, "bare stdio", s, pid); err != nil {
		return err
	}
	hs, hpid, stop, err := b.http(ctx, bare)
	if err != nil {
		return err
	}
	defer stop()
	defer hs.Close()
	_, err = b.levels(ctx, "bare http", hs, hpid)
	return err
}

func (b *bench) ratio(name string, ours, bare float64) {
	fmt.Fprintf(b.out, "%-50s %11.2fx %12s\n", name, ours/bare, "")
}

func (b *bench) row(name string, xs []float64) {
	fmt.Fprintf(b.out, "%-50s %12.2f %12.2f\n", name, median(xs), quantile(xs, 0.9))
}

// small makes o.calls pve_version calls, n at a time, and returns the
// server's CPU per call in ms and the calls per second.
func (b *bench) small(ctx context.Context, s *mcp.ClientSession, pid, n int) (float64, float64, error) {
	before, err := processCPU(pid)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	jobs := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for range jobs {
				res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "pve_version"})
				if err == nil && res.IsError {
					err = fmt.Errorf("pve_version: %s", text(res))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range b.o.calls {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return 0, 0, err
	default:
	}
	wall := time.Since(start)
	after, err := processCPU(pid)
	if err != nil {
		return 0, 0, err
	}
	return ms(after-before) / float64(b.o.calls), float64(b.o.calls) / wall.Seconds(), nil
}

func text(r *mcp.CallToolResult) string {
	out := ""
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			out += t.Text
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
