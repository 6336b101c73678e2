package pvesim

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// The simulator keeps no sample history: an RRD series is computed from the
// cluster model on demand. A resource's history is a list of segments in
// which every data source is constant (NaN = unknown, what pvestatd writes
// as "U"), except guest cpu, which follows the same wave as guestStats.
// Rows consolidate 60 s primary data points like rrdtool (xff 0.5).

const rrdPDP = 60 // pvestatd's RRD files have a 60 s step

// rrdFrame is a timeframe's resolution and row count (PVE::RRD setup).
type rrdFrame struct{ step, count int64 }

// rrdFrameFor returns the frame of create_rrd_data (graph=false) or
// create_rrd_graph: PVE 9 reads its new RRD files, older releases the pve2
// files, whose hour graph spans 60 minutes but whose data spans 70.
func (s *Sim) rrdFrameFor(timeframe string, graph bool) rrdFrame {
	if s.major() >= 9 {
		return map[string]rrdFrame{
			"hour": {60, 60}, "day": {60, 1440}, "week": {1800, 336},
			"month": {1800, 1440}, "year": {21600, 1440}, "decade": {604800, 570},
		}[timeframe]
	}
	if timeframe == "hour" {
		if graph {
			return rrdFrame{60, 60}
		}
		return rrdFrame{60, 70}
	}
	return map[string]rrdFrame{"day": {1800, 70}, "week": {10800, 70}, "month": {43200, 70}, "year": {604800, 70}}[timeframe]
}

// rrdSeg holds constant values over the PDPs p with from < p <= to.
type rrdSeg struct {
	from, to int64
	vals     []float64
}

// rrdSource is one RRD file: its data sources and its history.
type rrdSource struct {
	path   string // below /var/lib/rrdcached/db
	fields []string
	segs   []rrdSeg // sorted, not overlapping
	// wave, when set, varies field waveIdx per PDP (guest cpu).
	wave    func(t int64) float64
	waveIdx int
}

func nan() float64 { return math.NaN() }

func (src *rrdSource) field(name string) int {
	for i, f := range src.fields {
		if f == name {
			return i
		}
	}
	return -1
}

// rows fetches count rows of step seconds ending at the last step boundary
// before now, labelled like RRDs::fetch (each row by the end of its bucket).
func (src *rrdSource) rows(f rrdFrame, cf string, now int64) ([]int64, [][]float64) {
	ctime := f.step * (now / f.step)
	start := ctime - f.step*f.count
	times := make([]int64, 0, f.count)
	out := make([][]float64, 0, f.count)
	cur := 0
	for t := start + f.step; t <= ctime; t += f.step {
		for cur < len(src.segs) && src.segs[cur].to <= t-f.step {
			cur++
		}
		v := src.bucket(cur, t-f.step, t, cf)
		// pvestatd writes every 10 s: the PDP at a boundary that just
		// passed is not there yet, so the newest bucket is still empty
		if t == ctime && now-ctime < 10 {
			for i := range v {
				v[i] = nan()
			}
		}
		times = append(times, t)
		out = append(out, v)
	}
	return times, out
}

// bucket consolidates the PDPs a < p <= b, starting at segment cur.
func (src *rrdSource) bucket(cur int, a, b int64, cf string) []float64 {
	nf := len(src.fields)
	known := make([]int64, nf)
	sum := make([]float64, nf)
	mx := make([]float64, nf)
	for i := range mx {
		mx[i] = math.Inf(-1)
	}
	for _, sg := range src.segs[cur:] {
		if sg.from >= b {
			break
		}
		lo := (max(a, sg.from)/rrdPDP + 1) * rrdPDP
		hi := min(b, sg.to)
		hi -= hi % rrdPDP
		if hi < lo {
			continue
		}
		k := (hi-lo)/rrdPDP + 1
		for i, v := range sg.vals {
			if math.IsNaN(v) {
				continue
			}
			known[i] += k
			if i == src.waveIdx && src.wave != nil {
				s, m := waveStats(src.wave, lo, hi, k)
				sum[i] += v * s
				mx[i] = max(mx[i], v*m)
				continue
			}
			sum[i] += v * float64(k)
			mx[i] = max(mx[i], v)
		}
	}
	n := (b - a) / rrdPDP
	out := make([]float64, nf)
	for i := range out {
		switch {
		case (n-known[i])*2 > n:
			out[i] = nan()
		case cf == "MAX":
			out[i] = mx[i]
		default:
			out[i] = sum[i] / float64(known[i])
		}
	}
	return out
}

// waveStats sums and maxes the wave over the k PDPs lo..hi, sampling at
// most 64 of them in long buckets (deterministic: the same PDPs each time).
func waveStats(w func(int64) float64, lo, hi, k int64) (sum, mx float64) {
	stride := int64(1)
	if k > 64 {
		stride = (k + 63) / 64
	}
	var n int64
	for p := lo; p <= hi; p += stride * rrdPDP {
		v := w(p)
		sum += v
		mx = max(mx, v)
		n++
	}
	return sum * float64(k) / float64(n), mx
}

// span is a time range [from, to) in Unix seconds.
type span struct{ from, to int64 }

// Task types whose successful end leaves a guest running or stopped.
var (
	rrdStartTasks = map[string]bool{"qmstart": true, "vzstart": true}
	rrdStopTasks  = map[string]bool{"qmstop": true, "vzstop": true, "qmshutdown": true, "vzshutdown": true}
)

func taskOK(t *task) bool {
	return t.done && (t.exit == "OK" || strings.HasPrefix(t.exit, "WARNINGS"))
}

// rrdHistory indexes what the series are rebuilt from: the guests' disk
// creation times and their state-changing tasks.
type rrdHistory struct {
	diskCtime map[int]int64
	tasks     map[string][]*task // by task id (the vmid)
}

func (st *state) rrdHistory() *rrdHistory {
	h := &rrdHistory{diskCtime: map[int]int64{}, tasks: map[string][]*task{}}
	seen := map[*nodeStorage]bool{}
	for _, n := range st.nodes {
		for _, ns := range n.store {
			if seen[ns] {
				continue // a shared storage is on every node
			}
			seen[ns] = true
			for _, v := range ns.vols {
				if v.vmid > 0 && (v.content == "images" || v.content == "rootdir") && v.ctime > 0 {
					if old, ok := h.diskCtime[v.vmid]; !ok || v.ctime < old {
						h.diskCtime[v.vmid] = v.ctime
					}
				}
			}
		}
	}
	for _, t := range st.tasks {
		if taskOK(t) && (rrdStartTasks[t.typ] || rrdStopTasks[t.typ]) {
			h.tasks[t.id] = append(h.tasks[t.id], t)
		}
	}
	return h
}

// created is when the guest came to be, where the model knows it: the
// qemu meta ctime, its disks' ctimes, its start; 0 when nothing tells.
func (h *rrdHistory) created(g *guest) int64 {
	var first int64
	take := func(t int64) {
		if t > 0 && (first == 0 || t < first) {
			first = t
		}
	}
	if m := parsePropString(g.conf["meta"], ""); m.has("ctime") {
		v, _ := strconv.ParseInt(m.get("ctime"), 10, 64)
		take(v)
	}
	take(h.diskCtime[g.vmid])
	if g.running {
		take(g.startedAt.Unix())
	}
	return first
}

// running reconstructs when the guest ran, up to now: from its start and
// stop tasks and its current state (running since startedAt).
func (h *rrdHistory) running(g *guest, created, now int64) []span {
	type ev struct {
		at  int64
		run bool
	}
	var evs []ev
	for _, t := range h.tasks[strconv.Itoa(g.vmid)] {
		at := t.end.Unix()
		if g.running && at >= g.startedAt.Unix() {
			continue // the current run is authoritative
		}
		evs = append(evs, ev{at, rrdStartTasks[t.typ]})
	}
	if g.running {
		evs = append(evs, ev{g.startedAt.Unix(), true})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
	var out []span
	runFrom := int64(-1)
	if len(evs) > 0 && !evs[0].run {
		runFrom = created // stopped first: it ran before
	}
	for _, e := range evs {
		switch {
		case e.run && runFrom < 0:
			runFrom = e.at
		case !e.run && runFrom >= 0:
			if e.at > runFrom {
				out = append(out, span{runFrom, e.at})
			}
			runFrom = -1
		}
	}
	if runFrom >= 0 && g.running && now > runFrom {
		out = append(out, span{runFrom, now + 1})
	}
	return out
}

// splitSpans cuts [from, to) at the given points into constant pieces.
func splitSpans(from, to int64, cuts []int64) []span {
	sort.Slice(cuts, func(i, j int) bool { return cuts[i] < cuts[j] })
	var out []span
	at := from
	for _, c := range cuts {
		if c <= at || c >= to {
			continue
		}
		out = append(out, span{at, c})
		at = c
	}
	if at < to {
		out = append(out, span{at, to})
	}
	return out
}

func inSpans(sp []span, t int64) bool {
	for _, s := range sp {
		if t >= s.from && t < s.to {
			return true
		}
	}
	return false
}

// round15 is the value as Perl prints an RRD double (%.15g).
func round15(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	return r
}
