package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// target is a server binary pvebench can start: ours or the bare go-sdk baseline.
type target struct {
	name     string
	bin      string
	args     []string // for stdio
	httpArgs func(addr string) []string
	env      []string
	httpEnv  []string // added to env for HTTP
}

const httpToken = "pvebench-http-token-0123456789abcdef"

func (b *bench) ours() target {
	return target{name: "ours", bin: b.o.bin, env: b.env(),
		httpArgs: func(addr string) []string { return []string{"--transport", "http", "--listen", addr} },
		httpEnv:  []string{"PVE_MCP_HTTP_TOKEN=" + httpToken, "PVE_MCP_RATE_LIMIT=0", "PVE_MCP_MAX_INFLIGHT_PER_SESSION=1000"}}
}

// bare is the baseline serving the tools of toolsFile.
func bareTarget(bin, toolsFile string) target {
	return target{name: "bare", bin: bin, args: []string{"-tools", toolsFile},
		httpArgs: func(addr string) []string {
			return []string{"-tools", toolsFile, "-transport", "http", "-listen", addr}
		},
		env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}}
}

// stdio starts t over stdio; the session and its pid.
func (b *bench) stdio(ctx context.Context, t target) (*mcp.ClientSession, int, error) {
	s, cmd, err := b.command(ctx, t)
	if err != nil {
		return nil, 0, err
	}
	return s, cmd.Process.Pid, nil
}

// command starts t over stdio; closing the session waits for the process.
func (b *bench) command(ctx context.Context, t target) (*mcp.ClientSession, *exec.Cmd, error) {
	cmd := exec.Command(t.bin, t.args...)
	cmd.Env = t.env
	s, err := newClient().Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", t.bin, err)
	}
	return s, cmd, nil
}

// http starts t with its HTTP transport on a free loopback port.
func (b *bench) http(ctx context.Context, t target) (*mcp.ClientSession, int, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, nil, fmt.Errorf("free port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(t.bin, t.httpArgs(addr)...)
	cmd.Env = append(append([]string{}, t.env...), t.httpEnv...)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, 0, nil, fmt.Errorf("start %s: %w", t.bin, err)
	}
	tr := keepAliveTransport()
	stop := func() { tr.CloseIdleConnections(); cmd.Process.Signal(os.Interrupt); cmd.Wait() }
	hc := &http.Client{Transport: bearer{httpToken, tr}}
	var s *mcp.ClientSession
	for range 100 {
		s, err = newClient().Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp", HTTPClient: hc, MaxRetries: -1}, nil)
		if err == nil {
			return s, cmd.Process.Pid, stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, 0, nil, fmt.Errorf("connect to %s over http: %w", t.name, err)
}

// keepAliveTransport keeps a connection per call in flight (and one for the
// session's GET stream), as an MCP client does: Go's default transport keeps
// 2 idle per host, so at 8 and 32 in flight most calls opened a new TCP
// connection and the server's figure was mostly accept and handshake.
func keepAliveTransport() *http.Transport {
	n := slices.Max(levels()) * 2
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = n
	tr.MaxIdleConnsPerHost = n
	return tr
}

// baselineBin is -baseline, or the baseline built into dir.
func (b *bench) baselineBin(dir string) (string, error) {
	return buildBaseline(b.o.baseline, filepath.Join(dir, "pvebench-baseline"), "-baseline")
}

// fetchingBin is the baseline built to GET the fake on each call.
func (b *bench) fetchingBin(dir string) (string, error) {
	return buildBaseline(b.o.baselineFetch, filepath.Join(dir, "pvebench-baseline-fetch"), "-baseline-fetch", "-tags", "pvebench_fetch")
}

// buildBaseline is given, or else builds the baseline to bin with flags.
func buildBaseline(given, bin, option string, flags ...string) (string, error) {
	if given != "" {
		return given, nil
	}
	// By import path, so it builds from anywhere inside the module.
	args := append(append([]string{"build"}, flags...), "-o", bin, "github.com/proxmox-mcp/proxmox-mcp-server/cmd/pvebench/baseline")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the baseline (or pass %s): %w\n%s", option, err, out)
	}
	return bin, nil
}

// writeTools saves our tools/list for the baseline to serve the same definitions.
func writeTools(dir string, tools []*mcp.Tool) (string, error) {
	raw, err := json.Marshal(&mcp.ListToolsResult{Tools: tools})
	if err != nil {
		return "", fmt.Errorf("tools file: %w", err)
	}
	path := filepath.Join(dir, "tools.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return "", fmt.Errorf("tools file: %w", err)
	}
	return path, nil
}

// starts are cold-start figures of one target, in ms.
type starts struct {
	wall []float64 // exec to the initialize answer
	cpu  []float64 // the process's whole life: start, initialize, exit on EOF
}

// coldStarts times exec to the initialize answer, alternating the targets
// so machine noise falls on all; a first untimed round warms the page cache.
func (b *bench) coldStarts(ctx context.Context, ts ...target) ([]starts, error) {
	out := make([]starts, len(ts))
	for i := range b.o.runs + 1 {
		for j, t := range ts {
			start := time.Now()
			s, cmd, err := b.command(ctx, t)
			if err != nil {
				return nil, err
			}
			d := ms(time.Since(start))
			if err := s.Close(); err != nil {
				return nil, fmt.Errorf("%s: close: %w", t.name, err)
			}
			if i == 0 {
				continue
			}
			out[j].wall = append(out[j].wall, d)
			if ps := cmd.ProcessState; ps != nil {
				out[j].cpu = append(out[j].cpu, ms(ps.UserTime()+ps.SystemTime()))
			}
		}
	}
	return out, nil
}

// rssAfterCalls is the memory of fresh stdio processes after a tools/list
// and o.calls pve_version calls one at a time, -rssruns times per target.
func (b *bench) rssAfterCalls(ctx context.Context, ts ...target) ([][]mem, error) {
	out := make([][]mem, len(ts))
	for range b.o.rssRuns {
		for j, t := range ts {
			s, pid, err := b.stdio(ctx, t)
			if err != nil {
				return nil, err
			}
			_, err = s.ListTools(ctx, nil)
			if err == nil {
				_, _, err = b.small(ctx, s, pid, 1)
			}
			var m mem
			if err == nil {
				m, err = memory(pid)
			}
			if err == nil {
				// Only an explanation: where pagemap cannot be read, none.
				m.split, _ = resident(pid, t.bin)
			}
			s.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.name, err)
			}
			out[j] = append(out[j], m)
		}
	}
	return out, nil
}

// mib is one field of each mem in MiB.
func mib(ms []mem, field func(mem) int64) []float64 {
	var out []float64
	for _, m := range ms {
		out = append(out, float64(field(m))/(1<<20))
	}
	return out
}
