package e2e

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkStartupToInitialize measures the built binary from exec to the
// initialize answer: go test -run '^$' -bench StartupToInitialize ./e2e
func BenchmarkStartupToInitialize(b *testing.B) {
	env := []string{"PATH=" + os.Getenv("PATH"), "PROXMOX_HOST=https://127.0.0.1:1",
		"PROXMOX_TOKEN_ID=root@pam!bench", "PROXMOX_TOKEN_SECRET=00000000-0000-0000-0000-000000000000"}
	var times []time.Duration
	for b.Loop() {
		cmd := exec.Command(binary)
		cmd.Env = env
		start := time.Now()
		s, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		s.Close()
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(times[len(times)*9/10].Microseconds())/1000, "p90-ms")
}

// BenchmarkPeakRSS reports the peak resident memory (VmHWM) of a server that
// has answered a few hundred tool calls: go test -run '^$' -bench PeakRSS ./e2e
func BenchmarkPeakRSS(b *testing.B) {
	for b.Loop() {
		cl := newCluster(b, 0.01)
		id, secret := cl.sim.DefaultToken()
		cmd := exec.Command(binary)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PROXMOX_HOST=" + cl.url, "PROXMOX_TOKEN_ID=" + id,
			"PROXMOX_TOKEN_SECRET=" + secret, "PVE_READONLY=false"}
		ctx := context.Background()
		s, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			b.Fatal(err)
		}
		calls := []*mcp.CallToolParams{
			mcpParams("pve_cluster_resources", nil),
			mcpParams("pve_vm_config", m("node", "pve1", "vmid", 100)),
			mcpParams("pve_list_tasks", m("node", "pve1")),
			mcpParams("pve_storage_content", m("node", "pve1", "storage", "local")),
			mcpParams("pve_vm_status", m("node", "pve1", "vmid", 100)),
		}
		for i := range 300 {
			if _, err := s.CallTool(ctx, calls[i%len(calls)]); err != nil {
				b.Fatal(err)
			}
			if i%50 == 0 {
				if _, err := s.CallTool(ctx, mcpParams("pve_vm_set_config", m("node", "pve1", "vmid", 101, "description", "bench "+strconv.Itoa(i)))); err != nil {
					b.Fatal(err)
				}
			}
		}
		hwm := vmHWM(b, cmd.Process.Pid)
		s.Close()
		b.ReportMetric(hwm/1024, "peak-RSS-MiB")
	}
}

func vmHWM(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Skip("no /proc: ", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb
		}
	}
	b.Fatal("no VmHWM")
	return 0
}
