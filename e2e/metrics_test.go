package e2e

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type metricSeries struct {
	Name, Unit, LastAt, MaxAt string
	Samples                   int
	Last, Average, Min, Max   float64
	Limit                     float64
	Points                    []struct {
		T string
		V float64
	}
}

type metricsResult struct {
	Node, Storage, Timeframe, CF, From, To, Chart string
	VMID, Rows                                    int
	StepSeconds                                   int64
	Series                                        []metricSeries
	NoData, Notes                                 []string
}

func (r metricsResult) series(t *testing.T, name string) metricSeries {
	t.Helper()
	for _, s := range r.Series {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no series %s in %+v (noData %v)", name, r.Series, r.NoData)
	return metricSeries{}
}

func (c *client) metrics(tool string, args map[string]any) metricsResult {
	c.t.Helper()
	var out metricsResult
	c.ok(tool, args, &out)
	for _, s := range out.Series {
		if len(s.Points) == 0 || s.Samples == 0 || s.Max < s.Average-1e-6*s.Max || s.Min > s.Average+1e-6*s.Average {
			c.t.Errorf("%s %s: inconsistent %+v", tool, s.Name, s)
		}
	}
	return out
}

// chart calls a tool with chart: true and decodes the image of its result.
func (c *client) chart(tool string, args map[string]any) (metricsResult, image.Image) {
	c.t.Helper()
	args["chart"] = true
	res, text := c.call(tool, args)
	if res.IsError {
		c.t.Fatalf("%s: %s", tool, text)
	}
	var out metricsResult
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		c.t.Fatal(err)
	}
	var imgs []*mcp.ImageContent
	for _, ct := range res.Content {
		if ic, ok := ct.(*mcp.ImageContent); ok {
			imgs = append(imgs, ic)
		}
	}
	if len(imgs) != 1 || imgs[0].MIMEType != "image/png" {
		c.t.Fatalf("%s: images %v", tool, imgs)
	}
	img, err := png.Decode(bytes.NewReader(imgs[0].Data))
	if err != nil {
		c.t.Fatalf("%s: not a PNG: %v", tool, err)
	}
	if img.Bounds().Dx() != 800 || img.Bounds().Dy() != 400 {
		c.t.Fatalf("%s: chart %v, want 800x400", tool, img.Bounds())
	}
	return out, img
}

// rawRRD reads rrddata from the simulator directly, for the figures to be
// checked against.
func (cl *cluster) rawRRD(t *testing.T, path, timeframe string) []map[string]float64 {
	t.Helper()
	var rows []map[string]float64
	cl.simGet(t, path+"/rrddata", url.Values{"timeframe": {timeframe}}, &rows)
	return rows
}

// blue counts the pixels of the first line colour (the chart's first series).
func blue(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 80 && g>>8 > 90 && g>>8 < 150 && bl>>8 > 150 {
				n++
			}
		}
	}
	return n
}

// TestMetrics calls the metrics tools over MCP against the simulator.
func TestMetrics(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "metrics"}})

	t.Run("node, each timeframe", func(t *testing.T) {
		steps := map[string]int64{"hour": 60, "day": 60, "week": 1800, "month": 1800, "year": 21600} // PVE 9's RRD files
		for tf, step := range steps {
			out := c.metrics("pve_node_metrics", m("node", "pve1", "timeframe", tf))
			if out.StepSeconds != step || out.Rows < 59 || out.Timeframe != tf || out.CF != "AVERAGE" {
				t.Errorf("%s: step %d, %d rows", tf, out.StepSeconds, out.Rows)
			}
			for _, name := range []string{"cpu", "iowait", "loadavg", "memused", "netin", "netout"} {
				s := out.series(t, name)
				if len(s.Points) > 24 {
					t.Errorf("%s %s: %d points, over the default 24", tf, name, len(s.Points))
				}
			}
			if mem := out.series(t, "memused"); mem.Unit != "bytes" || mem.Limit <= mem.Max {
				t.Errorf("%s memused %+v", tf, mem)
			}
		}
		out := c.metrics("pve_node_metrics", m("node", "pve1", "timeframe", "day", "cf", "MAX", "series", []string{"cpu", "memavailable", "pressureiosome"}, "points", 200))
		if out.CF != "MAX" || len(out.Series) != 3 || len(out.NoData) != 0 || len(out.Series[0].Points) != 200 {
			t.Errorf("PVE 9 series: %+v", out)
		}
	})

	t.Run("vm figures match the simulator", func(t *testing.T) {
		out := c.metrics("pve_vm_metrics", m("node", "pve1", "vmid", 100, "timeframe", "day", "series", []string{"mem", "memhost", "netin", "cpu"}))
		raw := cl.rawRRD(t, "/nodes/pve1/qemu/100", "day")
		// mem is a constant while VM 100 runs; rows it did not run in are gaps
		var mems []float64
		var first float64
		for _, row := range raw {
			if v, ok := row["mem"]; ok {
				if len(mems) == 0 {
					first = row["time"]
				}
				mems = append(mems, v)
			}
		}
		mem := out.series(t, "mem")
		if n := len(mems); n == 0 || mem.Last != mems[n-1] || mem.Average != mems[n-1] || mem.Limit != raw[len(raw)-1]["maxmem"] || mem.Samples < n-1 || mem.Samples > n+1 {
			t.Errorf("mem: last %v, average %v, limit %v, %d samples; raw: %d values, last %v", mem.Last, mem.Average, mem.Limit, mem.Samples, n, mems[n-1])
		}
		if n := len(raw); mem.Samples >= n-1 {
			t.Errorf("VM 100 ran all day long? %d samples of %d rows", mem.Samples, n)
		}
		if cpu := out.series(t, "cpu"); cpu.Unit != "%" || cpu.Average < 1 || cpu.Max > 100 || cpu.MaxAt < out.From {
			t.Errorf("cpu: unit %s, average %v, max %v at %s", cpu.Unit, cpu.Average, cpu.Max, cpu.MaxAt)
		}
		// points begin where the values do, not at the gap before
		if p := mem.Points[0].T; p < time.Unix(int64(first), 0).UTC().Format(time.RFC3339) {
			t.Errorf("first point %s, before the first value at %v", p, time.Unix(int64(first), 0).UTC())
		}
		out.series(t, "memhost")
		week := c.metrics("pve_vm_metrics", m("node", "pve1", "vmid", 100, "timeframe", "week"))
		if week.StepSeconds != 1800 || week.series(t, "netin").Unit != "bytes/s" {
			t.Errorf("week %+v", week)
		}
	})

	t.Run("a started VM shows in its metrics", func(t *testing.T) {
		c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "metrics,qemu"}})
		before := c.metrics("pve_vm_metrics", m("node", "pve1", "vmid", 101, "series", []string{"cpu", "maxmem"}))
		if len(before.NoData) != 1 || before.NoData[0] != "cpu" || !strings.Contains(strings.Join(before.Notes, " "), "stopped guest") {
			t.Fatalf("stopped VM 101: noData %v, notes %v", before.NoData, before.Notes)
		}
		c.task("pve_vm_start", m("node", "pve1", "vmid", 101))
		cl.sim.Advance(10 * time.Minute)
		after := c.metrics("pve_vm_metrics", m("node", "pve1", "vmid", 101, "series", []string{"cpu"}))
		if cpu := after.series(t, "cpu"); cpu.Samples < 8 || cpu.Samples > 11 || cpu.Last <= 0 {
			t.Errorf("after start and 10 minutes: cpu %d samples, last %v", cpu.Samples, cpu.Last)
		}
	})

	t.Run("container and storage", func(t *testing.T) {
		ct := c.metrics("pve_lxc_metrics", m("node", "pve1", "vmid", 200, "timeframe", "month"))
		if ct.StepSeconds != 1800 || ct.VMID != 200 || ct.series(t, "mem").Limit != 512<<20 {
			t.Errorf("container %+v", ct)
		}
		st := c.metrics("pve_storage_metrics", m("node", "pve1", "storage", "local-lvm", "timeframe", "year"))
		used, total := st.series(t, "used"), st.series(t, "total")
		if st.StepSeconds != 21600 || used.Limit != total.Last || used.Last > total.Last || used.Unit != "bytes" {
			t.Errorf("storage %+v", st)
		}
	})

	t.Run("chart", func(t *testing.T) {
		out, img := c.chart("pve_vm_metrics", m("node", "pve1", "vmid", 100, "timeframe", "hour"))
		if !strings.Contains(out.Chart, "CPU, Memory, Network, Disk I/O") || blue(img) < 500 {
			t.Errorf("chart %q, %d pixels of the first line colour", out.Chart, blue(img))
		}
		if os.Getenv("UPDATE_GOLDEN") != "" {
			c.exampleChart(t)
		}
		_, ct := c.chart("pve_lxc_metrics", m("node", "pve1", "vmid", 200, "timeframe", "day", "series", []string{"cpu"}))
		_, node := c.chart("pve_node_metrics", m("node", "pve1", "timeframe", "week"))
		_, st := c.chart("pve_storage_metrics", m("node", "pve1", "storage", "local", "timeframe", "month"))
		for _, i := range []image.Image{ct, node, st} {
			if blue(i) < 200 {
				t.Errorf("a chart without its first line: %d pixels", blue(i))
			}
		}
	})

	t.Run("missing guest or storage", func(t *testing.T) {
		c.fails("pve_vm_metrics", m("node", "pve1", "vmid", 999), "read VM 999 on pve1", "does not exist", "pve_cluster_resources")
		// Proxmox would answer the RRD file of VM 100 for a container id: the kind is checked first
		c.fails("pve_lxc_metrics", m("node", "pve1", "vmid", 100), "CT 100", "does not exist")
		c.fails("pve_vm_metrics", m("node", "pve2", "vmid", 100), "does not exist")
		c.fails("pve_storage_metrics", m("node", "pve1", "storage", "nosuch"), "storage 'nosuch' does not exist")
		c.fails("pve_vm_metrics", m("node", "pve1", "vmid", 100, "series", []string{"loadavg"}), `"series"`, "diskwrite")
		for _, r := range cl.sim.Requests() {
			switch r.Path {
			case "/nodes/pve1/qemu/999/rrddata", "/nodes/pve1/lxc/100/rrddata", "/nodes/pve2/qemu/100/rrddata", "/nodes/pve1/storage/nosuch/rrddata":
				t.Errorf("request for a missing guest or storage's statistics: %s", r.Path)
			}
		}
	})
}

// The allowlists hold for statistics as for everything else.
func TestMetricsAllowlists(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "metrics", "PVE_VMID_ALLOWLIST": "100", "PVE_NODE_ALLOWLIST": "pve1"}})
	c.metrics("pve_vm_metrics", m("node", "pve1", "vmid", 100))
	c.fails("pve_lxc_metrics", m("node", "pve1", "vmid", 200), "PVE_VMID_ALLOWLIST")
	c.fails("pve_node_metrics", m("node", "pve2"), "PVE_NODE_ALLOWLIST")
	c.fails("pve_storage_metrics", m("node", "pve2", "storage", "local"), "PVE_NODE_ALLOWLIST")
	for _, r := range cl.sim.Requests() {
		if strings.HasPrefix(r.Path, "/nodes/pve2") || strings.Contains(r.Path, "/200/") {
			t.Errorf("request outside the allowlists: %s", r.Path)
		}
	}
}

// exampleChart writes docs/metrics-example.png: node pve1 over the day.
func (c *client) exampleChart(t *testing.T) {
	args := m("node", "pve1", "timeframe", "day", "chart", true)
	res, _ := c.call("pve_node_metrics", args)
	for _, ct := range res.Content {
		if ic, ok := ct.(*mcp.ImageContent); ok {
			if err := os.WriteFile(filepath.Join("..", "docs", "metrics-example.png"), ic.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("no image")
}

// TestMetricsOlderReleases: PVE 7 and 8 keep the pve2 RRD files (70 rows,
// coarser steps) without PVE 9's series, which are told as not recorded.
func TestMetricsOlderReleases(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"8.4", "7.4"} {
		t.Run(v, func(t *testing.T) {
			cl := newClusterSchema(t, 0.02, v)
			c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "metrics"}})
			for tf, step := range map[string]int64{"hour": 60, "day": 1800, "week": 10800, "month": 43200, "year": 604800} {
				out := c.metrics("pve_node_metrics", m("node", "pve1", "timeframe", tf, "series", []string{"cpu", "memused", "memavailable"}))
				if out.StepSeconds != step || out.Rows != 70 && out.Rows != 69 {
					t.Errorf("%s: step %d, %d rows", tf, out.StepSeconds, out.Rows)
				}
				out.series(t, "cpu")
				if len(out.NoData) != 1 || out.NoData[0] != "memavailable" || !strings.Contains(strings.Join(out.Notes, " "), "recorded since Proxmox VE 9, and this cluster runs "+v) {
					t.Errorf("%s: noData %v, notes %v", tf, out.NoData, out.Notes)
				}
			}
			vm := c.metrics("pve_vm_metrics", m("node", "pve1", "vmid", 100, "series", []string{"cpu", "mem", "memhost", "diskwrite"}))
			if len(vm.NoData) != 1 || vm.NoData[0] != "memhost" || len(vm.Series) != 3 {
				t.Errorf("VM on %s: %+v", v, vm)
			}
			c.chart("pve_lxc_metrics", m("node", "pve1", "vmid", 200, "timeframe", "day"))
		})
	}
}
