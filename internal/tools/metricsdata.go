package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Units of the metrics output.
const (
	unitBytes   = "bytes"
	unitRate    = "bytes/s"
	unitPercent = "%"
)

// seriesInfo says how one RRD data source is reported and charted.
type seriesInfo struct {
	unit   string
	scale  float64 // Proxmox's value times scale is the reported one (0: 1)
	panel  string  // chart panel the series is drawn in
	limit  string  // data source that bounds it, reported as its limit
	since9 bool    // PVE 9's RRD files added it
}

// seriesCatalog covers the data sources of pmxcfs's RRD files (status.c):
// pve2-node/pve2-vm on PVE 7 and 8, pve-node-9.0/pve-vm-9.0 on PVE 9, and
// the storage files. cpu and iowait are fractions, shown as percent;
// network and disk I/O are rates; pressure is PSI's percent of time stalled.
var seriesCatalog = map[string]seriesInfo{
	"cpu":                {unit: unitPercent, scale: 100, panel: "CPU"},
	"iowait":             {unit: unitPercent, scale: 100, panel: "CPU"},
	"loadavg":            {unit: "load", panel: "Load"},
	"maxcpu":             {unit: "CPUs", panel: "CPUs"},
	"mem":                {unit: unitBytes, panel: "Memory", limit: "maxmem"},
	"maxmem":             {unit: unitBytes, panel: "Memory"},
	"memhost":            {unit: unitBytes, panel: "Memory", limit: "maxmem", since9: true},
	"memused":            {unit: unitBytes, panel: "Memory", limit: "memtotal"},
	"memtotal":           {unit: unitBytes, panel: "Memory"},
	"memavailable":       {unit: unitBytes, panel: "Memory", since9: true},
	"arcsize":            {unit: unitBytes, panel: "Memory", since9: true},
	"swapused":           {unit: unitBytes, panel: "Swap", limit: "swaptotal"},
	"swaptotal":          {unit: unitBytes, panel: "Swap"},
	"disk":               {unit: unitBytes, panel: "Disk space", limit: "maxdisk"},
	"maxdisk":            {unit: unitBytes, panel: "Disk space"},
	"rootused":           {unit: unitBytes, panel: "Disk space", limit: "roottotal"},
	"roottotal":          {unit: unitBytes, panel: "Disk space"},
	"netin":              {unit: unitRate, panel: "Network"},
	"netout":             {unit: unitRate, panel: "Network"},
	"diskread":           {unit: unitRate, panel: "Disk I/O"},
	"diskwrite":          {unit: unitRate, panel: "Disk I/O"},
	"pressurecpusome":    {unit: unitPercent, panel: "Pressure", since9: true},
	"pressurecpufull":    {unit: unitPercent, panel: "Pressure", since9: true},
	"pressureiosome":     {unit: unitPercent, panel: "Pressure", since9: true},
	"pressureiofull":     {unit: unitPercent, panel: "Pressure", since9: true},
	"pressurememorysome": {unit: unitPercent, panel: "Pressure", since9: true},
	"pressurememoryfull": {unit: unitPercent, panel: "Pressure", since9: true},
	"used":               {unit: unitBytes, panel: "Storage", limit: "total"},
	"total":              {unit: unitBytes, panel: "Storage"},
}

// metricsKind is what is measured: its data sources and default series.
type metricsKind struct {
	noun     string
	fields   []string // every data source, PVE 9's included
	defaults []string
}

var (
	nodeMetrics = metricsKind{noun: "a node",
		fields: []string{"cpu", "iowait", "loadavg", "maxcpu", "memused", "memtotal", "swapused", "swaptotal", "rootused", "roottotal",
			"netin", "netout", "memavailable", "arcsize", "pressurecpusome", "pressureiosome", "pressureiofull", "pressurememorysome", "pressurememoryfull"},
		defaults: []string{"cpu", "iowait", "loadavg", "memused", "netin", "netout"}}
	guestMetrics = metricsKind{noun: "a guest",
		fields: []string{"cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "netin", "netout", "diskread", "diskwrite",
			"memhost", "pressurecpusome", "pressurecpufull", "pressureiosome", "pressureiofull", "pressurememorysome", "pressurememoryfull"},
		defaults: []string{"cpu", "mem", "netin", "netout", "diskread", "diskwrite"}}
	storageMetrics = metricsKind{noun: "a storage", fields: []string{"used", "total"}, defaults: []string{"used", "total"}}
)

// pick checks the asked series against the kind's, in the order asked,
// without repeats; none asked gives the defaults.
func (k metricsKind) pick(asked []SeriesName) ([]string, error) {
	if len(asked) == 0 {
		return k.defaults, nil
	}
	var out []string
	for _, s := range asked {
		name := string(s)
		if !slices.Contains(k.fields, name) {
			return nil, fmt.Errorf("invalid argument \"series\": %q is not a series of %s; known: %s", name, k.noun, strings.Join(k.fields, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// sample is one row's value of a series, in the reported unit.
type sample struct {
	t int64
	v float64
}

// rrdRows are Proxmox's rows: "time" and the data sources that have a
// value. Proxmox leaves a gap's sources out; a null, NaN or empty string
// is taken as a gap too, never as 0.
type rrdRows struct {
	times []int64
	vals  []map[string]float64
}

func parseRows(raw []map[string]json.RawMessage) (rrdRows, error) {
	var r rrdRows
	for i, row := range raw {
		t, ok := number(row["time"])
		if !ok {
			return r, fmt.Errorf("row %d has no time", i)
		}
		vals := map[string]float64{}
		for k, b := range row {
			if v, ok := number(b); ok && k != "time" {
				vals[k] = v
			}
		}
		r.times = append(r.times, int64(t))
		r.vals = append(r.vals, vals)
	}
	if !slices.IsSorted(r.times) {
		return r, fmt.Errorf("rows are not in time order")
	}
	return r, nil
}

// number reads a JSON number or a string holding one; ok is false for
// gaps (absent, null, "", NaN, infinities) and for anything else.
func number(b json.RawMessage) (float64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	s := string(b)
	if b[0] == '"' {
		if json.Unmarshal(b, &s) != nil {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// series returns the samples of a data source, scaled to its unit.
func (r rrdRows) series(name string) []sample {
	scale := seriesCatalog[name].scale
	if scale == 0 {
		scale = 1
	}
	var out []sample
	for i, vals := range r.vals {
		if v, ok := vals[name]; ok {
			out = append(out, sample{r.times[i], v * scale})
		}
	}
	return out
}

type point struct {
	T string  `json:"t"`
	V float64 `json:"v"`
}

type seriesOut struct {
	Name    string  `json:"name" jsonschema:"Proxmox's RRD data source"`
	Unit    string  `json:"unit" jsonschema:"%, bytes, bytes/s, load or CPUs"`
	Samples int     `json:"samples" jsonschema:"rows with a value; gaps are left out of every figure"`
	Last    float64 `json:"last"`
	LastAt  string  `json:"lastAt"`
	Average float64 `json:"average"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	MaxAt   string  `json:"maxAt" jsonschema:"time of the maximum (the first, if repeated)"`
	Limit   float64 `json:"limit,omitempty" jsonschema:"the bound, e.g. maxmem for mem, at the last row"`
	Points  []point `json:"points" jsonschema:"downsampled: each point sums up the rows up to its time (average, or max with cf MAX)"`
}

// summarize reports a series with at least one sample. Points holds at
// most n points: rows are grouped into n equal runs (rows are evenly
// spaced), each point the average (cf MAX: the maximum) of its run's
// samples at the time of the run's last row; a run of gaps gives none.
func summarize(name string, s []sample, times []int64, n int, cf string) seriesOut {
	info := seriesCatalog[name]
	out := seriesOut{Name: name, Unit: info.unit, Samples: len(s), Min: s[0].v, Max: s[0].v, MaxAt: isoTime(s[0].t)}
	var sum float64
	for _, x := range s {
		sum += x.v
		out.Min = min(out.Min, x.v)
		if x.v > out.Max {
			out.Max, out.MaxAt = x.v, isoTime(x.t)
		}
	}
	last := s[len(s)-1]
	out.Last, out.LastAt, out.Average = tidy(last.v), isoTime(last.t), tidy(sum/float64(len(s)))
	out.Min, out.Max = tidy(out.Min), tidy(out.Max)
	runs := min(n, len(times))
	j := 0
	for i := range runs {
		end := times[(i+1)*len(times)/runs-1]
		var acc float64
		k := 0
		for ; j < len(s) && s[j].t <= end; j++ {
			switch {
			case cf != "MAX":
				acc += s[j].v
			case k == 0 || s[j].v > acc:
				acc = s[j].v
			}
			k++
		}
		if k == 0 {
			continue
		}
		if cf != "MAX" {
			acc /= float64(k)
		}
		out.Points = append(out.Points, point{isoTime(end), tidy(acc)})
	}
	return out
}

// lastOf is the newest value of a data source, 0 when it has none.
func (r rrdRows) lastOf(name string) float64 {
	for i := len(r.vals) - 1; i >= 0; i-- {
		if v, ok := r.vals[i][name]; ok {
			return v
		}
	}
	return 0
}

func isoTime(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

// tidy rounds for reading: whole numbers from 1000 up, else 4 significant
// digits (RRD averages of byte counts carry meaningless fractions).
func tidy(v float64) float64 {
	if math.Abs(v) >= 1000 {
		return math.Round(v)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return r
}
