package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var allTools = envOpts{selection: Selection{Toolsets: []string{"metrics"}}}

// rrdRowsJSON is an hour of a VM's rows: cpu rising 1% a minute from 1%,
// a gap of ten rows written as Proxmox does (left out), as null and as NaN,
// and mem constant at half of maxmem.
func rrdRowsJSON() string {
	var rows []string
	for i := range 60 {
		t := 1_764_000_060 + i*60
		switch {
		case i >= 20 && i < 24:
			rows = append(rows, fmt.Sprintf(`{"time":%d,"maxmem":4294967296}`, t))
		case i >= 24 && i < 27:
			rows = append(rows, fmt.Sprintf(`{"time":%d,"cpu":null,"mem":null,"maxmem":4294967296}`, t))
		case i >= 27 && i < 30:
			rows = append(rows, fmt.Sprintf(`{"time":%d,"cpu":"NaN","mem":"nan","maxmem":4294967296}`, t))
		default:
			rows = append(rows, fmt.Sprintf(`{"time":%d,"cpu":%g,"mem":2147483648,"maxmem":4294967296,"netin":"1500.5"}`, t, float64(i+1)/100))
		}
	}
	return "[" + strings.Join(rows, ",") + "]"
}

func TestMetricsFigures(t *testing.T) {
	e := newEnv(t, allTools)
	e.fake.routes["GET /nodes/pve1/qemu/100/status/current"] = `{"status":"running"}`
	e.fake.routes["GET /nodes/pve1/qemu/100/rrddata"] = rrdRowsJSON()
	var out metricsOut
	decode(t, e.ok(t, "pve_vm_metrics", map[string]any{"node": "pve1", "vmid": 100, "series": []string{"cpu", "mem", "netin", "memhost"}, "points": 6}), &out)
	if out.Rows != 60 || out.Step != 60 || out.Timeframe != "hour" || out.CF != "AVERAGE" || out.From != "2025-11-24T16:01:00Z" {
		t.Errorf("frame %+v", out)
	}
	if len(out.Series) != 3 || len(out.NoData) != 1 || out.NoData[0] != "memhost" {
		t.Fatalf("series %+v, noData %v", out.Series, out.NoData)
	}
	cpu := out.Series[0]
	// 50 rows with a value: 1..20 and 31..60 percent; the gaps count for nothing
	if cpu.Unit != "%" || cpu.Samples != 50 || cpu.Last != 60 || cpu.Max != 60 || cpu.Min != 1 || cpu.MaxAt != "2025-11-24T17:00:00Z" {
		t.Errorf("cpu %+v", cpu)
	}
	if want := (210.0 + 1365) / 50; cpu.Average != want {
		t.Errorf("cpu average %v, want %v (gaps skipped, not zeros)", cpu.Average, want)
	}
	// six runs of ten rows; the third is all gap and gives no point
	if len(cpu.Points) != 5 || cpu.Points[0].V != 5.5 || cpu.Points[1].V != 15.5 || cpu.Points[2].V != 35.5 || cpu.Points[2].T != "2025-11-24T16:40:00Z" {
		t.Errorf("cpu points %+v", cpu.Points)
	}
	if mem := out.Series[1]; mem.Unit != "bytes" || mem.Limit != 4294967296 || mem.Average != 2147483648 {
		t.Errorf("mem %+v", mem)
	}
	if netin := out.Series[2]; netin.Unit != "bytes/s" || netin.Last != 1501 {
		t.Errorf("netin (a number in a string) %+v", netin)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "stopped guest") {
		t.Errorf("notes %v", out.Notes)
	}
	r := e.fake.log()
	if len(r) < 2 || !strings.HasPrefix(r[1], "GET /nodes/pve1/qemu/100/rrddata?") || form(r[1]).Get("timeframe") != "hour" || form(r[1]).Get("cf") != "AVERAGE" {
		t.Errorf("requests %v", r)
	}
}

// cf MAX is asked of Proxmox and points take the maximum of their rows.
func TestMetricsMax(t *testing.T) {
	e := newEnv(t, allTools)
	e.fake.routes["GET /nodes/pve1/rrddata"] = rrdRowsJSON()
	var out metricsOut
	decode(t, e.ok(t, "pve_node_metrics", map[string]any{"node": "pve1", "timeframe": "week", "cf": "MAX", "series": []string{"cpu"}, "points": 3}), &out)
	if p := out.Series[0].Points; len(p) != 3 || p[0].V != 20 || p[1].V != 40 || p[2].V != 60 {
		t.Errorf("points %+v", p)
	}
	if q := form(e.fake.log()[0]); q.Get("cf") != "MAX" || q.Get("timeframe") != "week" {
		t.Errorf("query %v", q)
	}
}

func TestMetricsRefusals(t *testing.T) {
	e := newEnv(t, allTools)
	e.refused(t, "pve_vm_metrics", map[string]any{"node": "pve1", "vmid": 100, "series": []string{"loadavg"}}, `"series"`, "loadavg", "a guest", "diskwrite")
	e.refused(t, "pve_node_metrics", map[string]any{"node": "pve1", "series": []string{"CPU"}}, `"series[]"`, `got "CPU"`, "RRD series name")
	e.refused(t, "pve_node_metrics", map[string]any{"node": "pve1", "timeframe": "decade"}, `"timeframe"`, "year")
	e.refused(t, "pve_storage_metrics", map[string]any{"node": "pve1", "storage": "local", "points": 500}, `"points"`)
	e.refused(t, "pve_storage_metrics", map[string]any{"node": "pve1", "storage": "local", "series": []string{"cpu"}}, "used, total")
}

// chart: true adds one PNG image after the JSON text; without it there is
// none, and the structured content is the text's JSON either way.
func TestMetricsChartContent(t *testing.T) {
	e := newEnv(t, allTools)
	e.fake.routes["GET /nodes/pve1/lxc/200/status/current"] = `{"status":"running"}`
	e.fake.routes["GET /nodes/pve1/lxc/200/rrddata"] = rrdRowsJSON()
	args := map[string]any{"node": "pve1", "vmid": 200, "series": []string{"cpu", "mem"}}
	res, _ := e.call(t, "pve_lxc_metrics", args)
	if len(res.Content) != 1 {
		t.Errorf("without chart: %d contents", len(res.Content))
	}
	args["chart"] = true
	res, text := e.call(t, "pve_lxc_metrics", args)
	if res.IsError || len(res.Content) != 2 {
		t.Fatalf("with chart: %d contents, error %v: %s", len(res.Content), res.IsError, text)
	}
	img, ok := res.Content[1].(*mcp.ImageContent)
	if !ok || img.MIMEType != "image/png" {
		t.Fatalf("second content %T %+v", res.Content[1], res.Content[1])
	}
	pic, err := png.Decode(bytes.NewReader(img.Data))
	if err != nil || pic.Bounds().Dx() != 800 || pic.Bounds().Dy() != 400 {
		t.Fatalf("image: %v, %v", err, pic.Bounds())
	}
	var out metricsOut
	decode(t, text, &out)
	if !strings.Contains(out.Chart, "CPU, Memory") {
		t.Errorf("chart %q", out.Chart)
	}
	var structured metricsOut
	raw, _ := json.Marshal(res.StructuredContent)
	decode(t, string(raw), &structured)
	if structured.Chart != out.Chart || len(structured.Series) != 2 || strings.Contains(string(raw), "iVBOR") {
		t.Errorf("structured content is not the text's JSON alone: %s", raw)
	}
}

// A missing guest or storage is told with Proxmox's reason, and the RRD
// file is not read.
func TestMetricsMissing(t *testing.T) {
	e := newEnv(t, allTools)
	res, text := e.call(t, "pve_vm_metrics", map[string]any{"node": "pve1", "vmid": 999})
	if !res.IsError || !strings.Contains(text, "read VM 999 on pve1") {
		t.Errorf("missing VM: %s", text)
	}
	for _, r := range e.fake.log() {
		if strings.Contains(r, "rrddata") {
			t.Errorf("rrddata read for a guest that is not there: %v", r)
		}
	}
}
