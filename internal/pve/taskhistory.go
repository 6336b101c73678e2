package pve

import (
	"cmp"
	"context"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// How earlier tasks of the same type and guest predict a task's end: the
// newest few must agree, or the guess costs more polls than it saves.
const (
	historyKeys     = 256 // task kinds a client remembers
	historySamples  = 20  // durations kept per kind
	historyUse      = 5   // newest durations a prediction looks at
	historyMin      = 2   // fewer say nothing
	historyList     = 20  // rows asked of Proxmox
	historyListOff  = 10 * time.Minute
	historySlack    = 300 * time.Millisecond // past the latest end the samples allow
	historySpread   = 2 * time.Second        // samples this far apart still agree ...
	historySpreadPc = 0.25                   // ... or this share of their median
)

type historyKey struct{ node, typ, id string }

// historySample is one finished task: its duration and how far off it may be.
type historySample struct {
	upid     string
	start    uint64 // UPID start time, for ordering
	dur, unc time.Duration
}

// taskHistory is what a Client saw of finished tasks, bounded, and the
// nodes whose task list could not be read lately.
type taskHistory struct {
	mu      sync.Mutex
	order   []historyKey // oldest first, for eviction
	samples map[historyKey][]historySample
	listOff map[string]time.Time // node -> do not ask before
}

func keyOf(u pveid.UPID) historyKey { return historyKey{u.Node, u.Type, u.ID} }

// remember records a task this client saw finish.
func (h *taskHistory) remember(u pveid.UPID, dur, unc time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.samples == nil {
		h.samples = map[historyKey][]historySample{}
	}
	k := keyOf(u)
	if _, ok := h.samples[k]; !ok {
		if len(h.order) >= historyKeys {
			delete(h.samples, h.order[0])
			h.order = h.order[1:]
		}
		h.order = append(h.order, k)
	}
	s := append(h.samples[k], historySample{upid: u.Raw, start: u.StartTime, dur: dur, unc: unc})
	if len(s) > historySamples {
		s = s[len(s)-historySamples:]
	}
	h.samples[k] = s
}

func (h *taskHistory) own(u pveid.UPID) []historySample {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.samples[keyOf(u)])
}

func (h *taskHistory) listAllowed(node string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return now.After(h.listOff[node])
}

func (h *taskHistory) listFailed(node string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.listOff == nil {
		h.listOff = map[string]time.Time{}
	}
	h.listOff[node] = now.Add(historyListOff)
}

// taskRow is an item of GET /nodes/{node}/tasks.
type taskRow struct {
	UPID      taskText `json:"upid"`
	Type      taskText `json:"type"`
	ID        taskText `json:"id"`
	Status    taskText `json:"status"`
	StartTime Int      `json:"starttime"`
	EndTime   Int      `json:"endtime"`
}

// HistoryRequest is the one list read WaitTask may make for a task beyond
// its status and log: the last finished tasks of its type and guest on its
// own node. ok is false for a task that names no guest.
func HistoryRequest(upid string) (path string, q url.Values, ok bool) {
	u, err := pveid.ParseUPID(upid)
	if err != nil || u.Type == "" {
		return "", nil, false
	}
	if id, err := strconv.Atoi(u.ID); err != nil || id <= 0 {
		return "", nil, false
	}
	q = url.Values{"typefilter": {u.Type}, "vmid": {u.ID}, "limit": {strconv.Itoa(historyList)}, "source": {"archive"}}
	return Path("nodes", u.Node, "tasks"), q, true
}

// recentTasks reads the durations of the last finished tasks of u's type
// and guest (HistoryRequest). Proxmox gives whole seconds.
func (c *Client) recentTasks(ctx context.Context, u pveid.UPID) ([]historySample, error) {
	path, q, ok := HistoryRequest(u.Raw)
	if !ok {
		return nil, nil
	}
	var rows []taskRow
	if err := c.Get(ctx, path, q, &rows); err != nil {
		return nil, err
	}
	var out []historySample
	for _, r := range rows {
		st := string(r.Status)
		if string(r.Type) != u.Type || string(r.ID) != u.ID || string(r.UPID) == u.Raw || r.EndTime < r.StartTime ||
			r.StartTime <= 0 || (st != "OK" && !strings.HasPrefix(st, "WARNINGS:")) {
			continue // failed tasks end at other times
		}
		out = append(out, historySample{upid: string(r.UPID), start: uint64(r.StartTime),
			dur: time.Duration(r.EndTime-r.StartTime) * time.Second, unc: time.Second})
	}
	return out, nil
}

// predict merges Proxmox's rows with the client's own (finer) durations of
// the same tasks and, when the newest agree, gives the end's window as
// time since the wait began; when they disagree, with enough of them, their
// spread.
func predict(listed, own []historySample, age0 time.Duration) (window, *spread) {
	byUPID := map[string]historySample{}
	for _, s := range listed {
		byUPID[s.upid] = s
	}
	for _, s := range own {
		byUPID[s.upid] = s
	}
	all := make([]historySample, 0, len(byUPID))
	for _, s := range byUPID {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b historySample) int {
		if a.start != b.start {
			return cmp.Compare(b.start, a.start)
		}
		return strings.Compare(b.upid, a.upid)
	})
	newest := all[:min(len(all), historyUse)]
	if len(newest) < historyMin {
		return window{}, nil
	}
	durs := make([]time.Duration, len(newest))
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	for i, s := range newest {
		durs[i] = s.dur
		lo, hi = min(lo, s.dur-s.unc), max(hi, s.dur+s.unc)
	}
	slices.Sort(durs)
	median := durs[len(durs)/2]
	if durs[len(durs)-1]-durs[0] > max(historySpread, time.Duration(historySpreadPc*float64(median))) {
		return window{}, newSpread(all, age0)
	}
	return window{lo: lo - age0, hi: hi + historySlack - age0, ok: true}, nil
}
