package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Metrics: Proxmox's RRD statistics (rrddata) of nodes, guests and
// storages, summed up per series, downsampled, and optionally charted.

// rrdWindow is what the four metrics tools ask alike: which rows and how
// many points of them.
type rrdWindow struct {
	Timeframe string `json:"timeframe,omitempty" enum:"hour,day,week,month,year" default:"hour"`
	CF        string `json:"cf,omitempty" enum:"AVERAGE,MAX" default:"AVERAGE" jsonschema:"per row: average or maximum"`
	Points    int    `json:"points,omitempty" minimum:"1" maximum:"200" default:"24" jsonschema:"most points per series"`
	Chart     bool   `json:"chart,omitempty" jsonschema:"also return a PNG chart (800x400)"`
}

type nodeMetricsArgs struct {
	Node   NodeName     `json:"node"`
	Series []SeriesName `json:"series,omitempty" jsonschema:"RRD series; default cpu, iowait, loadavg, memused, netin, netout"`
	rrdWindow
}

type guestMetricsArgs struct {
	Node   NodeName     `json:"node"`
	VMID   VMID         `json:"vmid"`
	Series []SeriesName `json:"series,omitempty" jsonschema:"RRD series; default cpu, mem, netin, netout, diskread, diskwrite"`
	rrdWindow
}

type storageMetricsArgs struct {
	Node    NodeName     `json:"node"`
	Storage StorageID    `json:"storage" jsonschema:"storage id, e.g. local"`
	Series  []SeriesName `json:"series,omitempty" jsonschema:"RRD series: used, total (default both)"`
	rrdWindow
}

// metricsQuery is what the four tools share.
type metricsQuery struct {
	kind          metricsKind
	what          string // "VM 100 on pve1", for errors and the chart's title
	path          string // the rrddata endpoint
	timeframe, cf string
	series        []SeriesName
	points        int
	chart         bool
	node, storage string
	vmid          int
	checkPath     string // read first, so a missing guest or storage gets Proxmox's reason
}

type metricsOut struct {
	Node      string      `json:"node"`
	VMID      int         `json:"vmid,omitempty"`
	Storage   string      `json:"storage,omitempty"`
	Timeframe string      `json:"timeframe"`
	CF        string      `json:"cf"`
	From      string      `json:"from,omitempty" jsonschema:"time of the first row"`
	To        string      `json:"to,omitempty" jsonschema:"time of the last row"`
	Step      int64       `json:"stepSeconds,omitempty" jsonschema:"seconds per row of Proxmox's"`
	Rows      int         `json:"rows"`
	Series    []seriesOut `json:"series"`
	NoData    []string    `json:"noData,omitempty" jsonschema:"series with no value in the timeframe"`
	Notes     []string    `json:"notes,omitempty"`
	Chart     string      `json:"chart,omitempty" jsonschema:"what the attached image shows"`
	png       []byte
}

func (o metricsOut) attachments() []mcp.Content {
	if o.png == nil {
		return nil
	}
	return []mcp.Content{&mcp.ImageContent{Data: o.png, MIMEType: "image/png"}}
}

func metricsTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_node_metrics", title: "Node metrics", toolset: "metrics",
			desc: "A node's statistics over an hour to a year: last, average, min, max and when, a short series; chart: true adds a PNG."},
			handle(func(ctx context.Context, c *call, in nodeMetricsArgs) (metricsOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return metricsOut{}, err
				}
				q := metricsQuery{kind: nodeMetrics, what: "node " + string(in.Node), path: pve.Path("nodes", string(in.Node), "rrddata"),
					timeframe: in.Timeframe, cf: in.CF, series: in.Series, points: in.Points, chart: in.Chart, node: string(in.Node)}
				return c.metrics(ctx, q)
			})),
		guestMetricsTool(d, qemuKind, "pve_vm_metrics", "VM metrics"),
		guestMetricsTool(d, lxcKind, "pve_lxc_metrics", "Container metrics"),
		define(d, spec{name: "pve_storage_metrics", title: "Storage metrics", toolset: "metrics",
			desc: "A storage's used and total space on a node over an hour to a year, as pve_node_metrics."},
			handle(func(ctx context.Context, c *call, in storageMetricsArgs) (metricsOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return metricsOut{}, err
				}
				base := pve.Path("nodes", string(in.Node), "storage", string(in.Storage))
				q := metricsQuery{kind: storageMetrics, what: fmt.Sprintf("storage %s on %s", in.Storage, in.Node), path: base + "/rrddata",
					timeframe: in.Timeframe, cf: in.CF, series: in.Series, points: in.Points, chart: in.Chart,
					node: string(in.Node), storage: string(in.Storage), checkPath: base + "/status"}
				return c.metrics(ctx, q)
			})),
	}
}

func guestMetricsTool(d *Deps, k guestKind, name, title string) Tool {
	sp := spec{name: name, title: title, toolset: "metrics",
		desc: "A " + k.label + "'s statistics over an hour to a year, as pve_node_metrics: CPU, memory, network, disk I/O."}
	return define(d, sp, handle(func(ctx context.Context, c *call, in guestMetricsArgs) (metricsOut, error) {
		if err := c.guest(in.Node, in.VMID); err != nil {
			return metricsOut{}, err
		}
		q := metricsQuery{kind: guestMetrics, what: fmt.Sprintf("%s %d on %s", k.noun, in.VMID, in.Node), path: k.path(in.Node, in.VMID, "rrddata"),
			timeframe: in.Timeframe, cf: in.CF, series: in.Series, points: in.Points, chart: in.Chart,
			node: string(in.Node), vmid: int(in.VMID), checkPath: k.path(in.Node, in.VMID, "status", "current")}
		return c.metrics(ctx, q)
	}))
}

// metrics reads and sums up one rrddata endpoint. Proxmox answers rrddata
// for any guest id of either kind on any node (the RRD file is per vmid),
// so the guest or storage is read first: a wrong node, kind or id is then
// told with Proxmox's own reason rather than an RRD file error.
func (c *call) metrics(ctx context.Context, q metricsQuery) (metricsOut, error) {
	names, err := q.kind.pick(q.series)
	if err != nil {
		return metricsOut{}, err
	}
	if q.checkPath != "" {
		var raw json.RawMessage
		if err := c.PVE.Get(ctx, q.checkPath, nil, &raw); err != nil {
			return metricsOut{}, fmt.Errorf("read %s: %w", q.what, err)
		}
	}
	var raw []map[string]json.RawMessage
	if err := c.PVE.Get(ctx, q.path, url.Values{"timeframe": {q.timeframe}, "cf": {q.cf}}, &raw); err != nil {
		return metricsOut{}, fmt.Errorf("read statistics of %s: %w", q.what, err)
	}
	rows, err := parseRows(raw)
	if err != nil {
		return metricsOut{}, fmt.Errorf("read statistics of %s: %s rrddata: %w", q.what, q.path, err)
	}
	out := metricsOut{Node: q.node, VMID: q.vmid, Storage: q.storage, Timeframe: q.timeframe, CF: q.cf, Rows: len(rows.times), Series: []seriesOut{}}
	if n := len(rows.times); n > 0 {
		out.From, out.To = isoTime(rows.times[0]), isoTime(rows.times[n-1])
		if n > 1 {
			out.Step = rows.times[1] - rows.times[0]
		}
	}
	var drawn []chartSeries
	var newer []string
	for _, name := range names {
		s := rows.series(name)
		if len(s) == 0 {
			out.NoData = append(out.NoData, name)
			if seriesCatalog[name].since9 {
				newer = append(newer, name)
			}
			continue
		}
		so := summarize(name, s, rows.times, q.points, q.cf)
		if l := seriesCatalog[name].limit; l != "" {
			so.Limit = tidy(rows.lastOf(l) * scaleOf(l))
		}
		out.Series = append(out.Series, so)
		drawn = append(drawn, chartSeries{name: name, samples: s})
	}
	if len(out.NoData) > 0 {
		out.Notes = append(out.Notes, c.noDataNote(ctx, q, newer))
	}
	if q.chart {
		c.attachChart(q, &out, rows, drawn)
	}
	return out, nil
}

func scaleOf(name string) float64 {
	if s := seriesCatalog[name].scale; s != 0 {
		return s
	}
	return 1
}

// noDataNote says why series are empty: a guest that did not run in the
// timeframe has only its limits recorded, and releases before 9 do not
// record the newer series at all.
func (c *call) noDataNote(ctx context.Context, q metricsQuery, newer []string) string {
	note := "noData: Proxmox recorded no value of these in the timeframe"
	if q.vmid != 0 {
		note += " (a stopped guest records only its limits)"
	}
	if len(newer) == 0 {
		return note
	}
	v, err := c.PVE.Version(ctx)
	if major, _, ok := v.MajorMinor(); err == nil && ok && major < 9 {
		return note + "; " + strings.Join(newer, ", ") + ": recorded since Proxmox VE 9, and this cluster runs " + v.Version
	}
	return note
}

// attachChart draws the series; a chart that cannot be drawn is told in a
// note, as the figures stand on their own.
func (c *call) attachChart(q metricsQuery, out *metricsOut, rows rrdRows, drawn []chartSeries) {
	if len(drawn) == 0 {
		out.Notes = append(out.Notes, "no chart: no series has a value in the timeframe")
		return
	}
	title := fmt.Sprintf("%s, last %s (%s)", q.what, q.timeframe, strings.ToLower(q.cf))
	png, err := renderChart(title, rows.times[0], rows.times[len(rows.times)-1], drawn)
	if err != nil {
		out.Notes = append(out.Notes, "no chart: "+err.Error())
		return
	}
	out.png = png
	out.Chart = "image/png 800x400 attached: " + strings.Join(panelsOf(drawn), ", ") + " over time (UTC)"
}
