// Command pvebench drives a built proxmox-mcp-server over stdio and Streamable
// HTTP against a fixed-response fake Proxmox and prints medians. It is a
// separate command so the shipped binary carries no bench code.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type options struct {
	bin    string
	guests int
	runs   int
	calls  int
	quick  bool
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
	fs.BoolVar(&o.quick, "quick", false, "a few seconds: 50 guests, 3 runs, 60 calls (a smoke test)")
	fs.BoolVar(&o.tasks, "tasks", false, "only the task-wait scenario: lag from a task's end to the answer, and polls")
	fs.StringVar(&o.taskLengths, "task-lengths", "", "task lengths in seconds, comma-separated (default: -task-count spread over 2..60)")
	fs.IntVar(&o.taskCount, "task-count", 12, "tasks spread over 2..60 s without -task-lengths")
	fs.IntVar(&o.taskParallel, "task-parallel", 4, "tasks waited for at once (on different guests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.quick {
		o.guests, o.runs, o.calls = 50, 3, 60
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
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "PROXMOX_HOST=" + b.fake.URL(),
		"PROXMOX_TOKEN_ID=root@pam!bench", "PROXMOX_TOKEN_SECRET=00000000-0000-0000-0000-000000000000",
		"PROXMOX_INSECURE_TLS=true", "PVE_READONLY=" + strconv.FormatBool(!b.writes)}
}

func newClient() *mcp.Client {
	return mcp.NewClient(&mcp.Implementation{Name: "pvebench", Version: "1"}, nil)
}

// stdio starts the server over stdio; the session and its pid.
func (b *bench) stdio(ctx context.Context) (*mcp.ClientSession, int, error) {
	cmd := exec.Command(b.o.bin)
	cmd.Env = b.env()
	s, err := newClient().Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", b.o.bin, err)
	}
	return s, cmd.Process.Pid, nil
}

// http starts the server with its HTTP transport on a free loopback port.
func (b *bench) http(ctx context.Context) (*mcp.ClientSession, int, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, nil, fmt.Errorf("free port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	const token = "pvebench-http-token-0123456789abcdef"
	cmd := exec.Command(b.o.bin, "--transport", "http", "--listen", addr)
	cmd.Env = append(b.env(), "PVE_MCP_HTTP_TOKEN="+token, "PVE_MCP_RATE_LIMIT=0", "PVE_MCP_MAX_INFLIGHT_PER_SESSION=1000")
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, 0, nil, fmt.Errorf("start %s: %w", b.o.bin, err)
	}
	stop := func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
	hc := &http.Client{Transport: bearer{token, http.DefaultTransport}}
	var s *mcp.ClientSession
	for range 100 {
		s, err = newClient().Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp", HTTPClient: hc, MaxRetries: -1}, nil)
		if err == nil {
			return s, cmd.Process.Pid, stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, 0, nil, fmt.Errorf("connect over http: %w", err)
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
	fmt.Fprintf(b.out, "%-44s %12s %12s\n", "scenario", "median", "p90")
	var starts []float64
	for range b.o.runs {
		t := time.Now()
		s, _, err := b.stdio(ctx)
		if err != nil {
			return err
		}
		starts = append(starts, ms(time.Since(t)))
		s.Close()
	}
	b.row("cold start to initialize (ms)", starts)
	s, pid, err := b.stdio(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	tl, err := s.ListTools(ctx, nil)
	if err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	bytes := 0
	for _, t := range tl.Tools {
		raw, _ := json.Marshal(t.InputSchema)
		bytes += len(t.Name) + len(t.Description) + len(raw)
	}
	fmt.Fprintf(b.out, "%-44s %12d %12s\n", fmt.Sprintf("tools/list model-facing bytes (%d tools)", len(tl.Tools)), bytes, "")
	if err := b.lists(ctx, s, tl.Tools); err != nil {
		return err
	}
	for _, n := range []int{1, 8, 32} {
		cpu, rate, err := b.small(ctx, s, pid, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.out, "%-44s %12.3f %12s\n", fmt.Sprintf("stdio CPU per small call, %d in flight (ms)", n), cpu, fmt.Sprintf("%.0f/s", rate))
	}
	if hwm, err := peakRSS(pid); err == nil {
		fmt.Fprintf(b.out, "%-44s %12.1f %12s\n", "peak RSS after the calls (MiB)", float64(hwm)/(1<<20), "")
	}
	hs, hpid, stop, err := b.http(ctx)
	if err != nil {
		return err
	}
	defer stop()
	defer hs.Close()
	for _, n := range []int{1, 8, 32} {
		cpu, rate, err := b.small(ctx, hs, hpid, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.out, "%-44s %12.3f %12s\n", fmt.Sprintf("http CPU per small call, %d in flight (ms)", n), cpu, fmt.Sprintf("%.0f/s", rate))
	}
	fmt.Fprintf(b.out, "fake: %d requests, %d to paths it does not serve\n", b.fake.requests.Load(), b.fake.unknown.Load())
	return nil
}

func (b *bench) row(name string, xs []float64) {
	fmt.Fprintf(b.out, "%-44s %12.2f %12.2f\n", name, median(xs), quantile(xs, 0.9))
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
