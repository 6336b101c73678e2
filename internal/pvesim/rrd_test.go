package pvesim

import (
	"bytes"
	"image/png"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func rows(t *testing.T, data any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range data.([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

func sortedCopy(s ...[]string) []string {
	var out []string
	for _, x := range s {
		out = append(out, x...)
	}
	sort.Strings(out)
	return out
}

// Row counts and steps per timeframe and release, as PVE::RRD sets them up.
func TestRRDDataFrames(t *testing.T) {
	for _, tc := range []struct {
		schema string
		frames map[string][2]int64 // rows, step
	}{
		{"9.1", map[string][2]int64{"hour": {60, 60}, "day": {1440, 60}, "week": {336, 1800}, "month": {1440, 1800},
			"year": {1440, 21600}, "decade": {570, 604800}}},
		{"8.4", map[string][2]int64{"hour": {70, 60}, "day": {70, 1800}, "week": {70, 10800}, "month": {70, 43200},
			"year": {70, 604800}}},
		{"7.4", map[string][2]int64{"hour": {70, 60}, "day": {70, 1800}, "year": {70, 604800}}},
	} {
		e := newEnv(t, Options{Schema: tc.schema})
		e.advance(30 * time.Second) // past the boundary: the newest bucket has its data
		now := e.sim.now().Unix()
		for tf, want := range tc.frames {
			rs := rows(t, e.ok("GET", "/nodes/pve1/rrddata", vals("timeframe", tf)))
			if int64(len(rs)) != want[0] {
				t.Fatalf("%s %s: %d rows, want %d", tc.schema, tf, len(rs), want[0])
			}
			last := int64(rs[len(rs)-1]["time"].(float64))
			if last != want[1]*(now/want[1]) || int64(rs[1]["time"].(float64))-int64(rs[0]["time"].(float64)) != want[1] {
				t.Fatalf("%s %s: times %v .. %v", tc.schema, tf, rs[0]["time"], last)
			}
		}
	}
	// decade is a PVE 9 timeframe
	old := newEnv(t, Options{Schema: "8.4"})
	if r := old.do("GET", "/nodes/pve1/rrddata", vals("timeframe", "decade")); r.status != 400 || r.errors["timeframe"] == "" {
		t.Fatalf("decade on 8.4: %d %s", r.status, r.raw)
	}
	if r := old.do("GET", "/nodes/pve1/rrddata", nil); r.status != 400 || r.errors["timeframe"] != "property is missing and it is not optional" {
		t.Fatalf("no timeframe: %d %s", r.status, r.raw)
	}
}

// The newest bucket is empty right after a boundary: PVE 9 drops it, older
// releases return it with only "time".
func TestRRDDataNewestBucket(t *testing.T) {
	e := newEnv(t, Options{})
	if rs := rows(t, e.ok("GET", "/nodes/pve1/rrddata", vals("timeframe", "hour"))); len(rs) != 59 {
		t.Fatalf("9.1 at a boundary: %d rows", len(rs))
	}
	old := newEnv(t, Options{Schema: "8.4"})
	rs := rows(t, old.ok("GET", "/nodes/pve1/rrddata", vals("timeframe", "hour")))
	if len(rs) != 70 || len(rs[69]) != 1 || len(rs[68]) != 13 {
		t.Fatalf("8.4 at a boundary: %d rows, last %v", len(rs), rs[69])
	}
}

func TestRRDDataNodeFields(t *testing.T) {
	for _, schema := range []string{"9.1", "8.4"} {
		e := newEnv(t, Options{Schema: schema})
		e.advance(30 * time.Second)
		rs := rows(t, e.ok("GET", "/nodes/pve1/rrddata", vals("timeframe", "hour")))
		want := sortedCopy(rrdNodeFields, []string{"time"})
		if schema == "9.1" {
			want = sortedCopy(rrdNodeFields, rrdNode9Fields, []string{"time"})
		}
		last := rs[len(rs)-1]
		if got := keysOf(last); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s node fields %v, want %v", schema, got, want)
		}
		st := e.ok("GET", "/nodes/pve1/status", nil).(map[string]any)
		mem := st["memory"].(map[string]any)
		if last["cpu"] != st["cpu"] || last["memused"] != mem["used"] || last["memtotal"] != mem["total"] || last["maxcpu"] != float64(32) {
			t.Fatalf("%s current point %v vs status cpu %v mem %v", schema, last, st["cpu"], mem)
		}
		// before the node's boot (11 days ago) there are only times
		year := rows(t, e.ok("GET", "/nodes/pve1/rrddata", vals("timeframe", "year")))
		if len(year[0]) != 1 || len(year[len(year)-1]) == 1 {
			t.Fatalf("%s year: first %v last %v", schema, year[0], year[len(year)-1])
		}
	}
}

func TestRRDDataGuests(t *testing.T) {
	e := newEnv(t, Options{})
	e.advance(30 * time.Second)
	hour := func(path string) []map[string]any {
		return rows(t, e.ok("GET", path, vals("timeframe", "hour")))
	}
	// a running VM: all sources, figures as /status/current shows them
	rs := hour("/nodes/pve1/qemu/100/rrddata")
	last := rs[len(rs)-1]
	if got, want := keysOf(last), sortedCopy(rrdGuestFields, rrdGuest9Fields, []string{"time"}); !reflect.DeepEqual(got, want) {
		t.Fatalf("qemu fields %v, want %v", got, want)
	}
	cur := e.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any)
	g := e.sim.st.guests[100]
	if last["mem"] != cur["mem"] || last["maxmem"] != cur["maxmem"] || last["memhost"] != cur["memhost"] || last["maxcpu"] != cur["cpus"] {
		t.Fatalf("vm point %v vs status %v", last, cur)
	}
	if c := last["cpu"].(float64); c < g.load*0.8 || c > g.load*1.2 {
		t.Fatalf("vm cpu %v, load %v", c, g.load)
	}
	if last["netin"] != float64(2100) || last["netout"] != float64(700) {
		t.Fatalf("rates: %v %v", last["netin"], last["netout"])
	}
	// a stopped VM: only what pvestatd writes for it
	for _, r := range hour("/nodes/pve1/qemu/101/rrddata") {
		if got := keysOf(r); !reflect.DeepEqual(got, []string{"disk", "maxcpu", "maxdisk", "maxmem", "time"}) || r["disk"] != float64(0) {
			t.Fatalf("stopped vm row %v", r)
		}
	}
	// containers write no memhost; the file is per vmid, whatever the path says
	ct := hour("/nodes/pve1/lxc/200/rrddata")
	if _, ok := ct[len(ct)-1]["memhost"]; ok || ct[len(ct)-1]["cpu"] == nil {
		t.Fatalf("ct row %v", ct[len(ct)-1])
	}
	if via := hour("/nodes/pve2/qemu/200/rrddata"); !reflect.DeepEqual(via, ct) {
		t.Fatalf("same file through another path differs")
	}
	// deterministic
	if again := hour("/nodes/pve1/qemu/100/rrddata"); !reflect.DeepEqual(again, rs) {
		t.Fatalf("two reads of the same time differ")
	}
	// MAX is at least the AVERAGE
	avg := rows(t, e.ok("GET", "/nodes/pve1/qemu/100/rrddata", vals("timeframe", "day")))
	mx := rows(t, e.ok("GET", "/nodes/pve1/qemu/100/rrddata", vals("timeframe", "day", "cf", "MAX")))
	for i := range avg {
		if a, ok := avg[i]["cpu"].(float64); ok && mx[i]["cpu"].(float64) < a {
			t.Fatalf("max %v < average %v", mx[i]["cpu"], a)
		}
	}
	r := e.do("GET", "/nodes/pve1/qemu/999/rrddata", vals("timeframe", "hour"))
	if r.status != 500 || r.message != "RRD error: rrdcached: rrd_fetch_r failed: opening '/var/lib/rrdcached/db/pve-vm-9.0/999': No such file or directory\n" {
		t.Fatalf("missing vmid: %d %q", r.status, r.message)
	}
	if r := e.do("GET", "/nodes/pve1/qemu/100/rrddata", vals("timeframe", "decade")); r.status != 400 {
		t.Fatalf("decade for a guest: %d", r.status)
	}
}

// Starting and stopping show in the series: cpu only while running; a new
// guest has no values before its creation.
func TestRRDDataFollowsState(t *testing.T) {
	e := newEnv(t, Options{})
	e.advance(30 * time.Second)
	if ex := e.waitTask(e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)); ex != "OK" {
		t.Fatalf("start: %s", ex)
	}
	if ex := e.waitTask(e.ok("POST", "/nodes/pve1/qemu/100/status/stop", nil).(string)); ex != "OK" {
		t.Fatalf("stop: %s", ex)
	}
	upid := e.ok("POST", "/nodes/pve1/qemu", vals("vmid", "150", "name", "fresh", "memory", "1024")).(string)
	if ex := e.waitTask(upid); ex != "OK" {
		t.Fatalf("create: %s", ex)
	}
	e.advance(10 * time.Minute)
	started := e.sim.st.guests[101].startedAt.Unix()
	for _, r := range rows(t, e.ok("GET", "/nodes/pve1/qemu/101/rrddata", vals("timeframe", "hour"))) {
		at := int64(r["time"].(float64))
		if _, has := r["cpu"]; has != (at > started+60) && at != started/60*60+60 {
			t.Fatalf("101 at %d (started %d): %v", at, started, r)
		}
	}
	rs := rows(t, e.ok("GET", "/nodes/pve1/qemu/100/rrddata", vals("timeframe", "hour")))
	if _, has := rs[len(rs)-1]["cpu"]; has {
		t.Fatalf("stopped 100 still has cpu: %v", rs[len(rs)-1])
	}
	if _, has := rs[0]["cpu"]; !has {
		t.Fatalf("100 had cpu before it was stopped: %v", rs[0])
	}
	rs = rows(t, e.ok("GET", "/nodes/pve1/qemu/150/rrddata", vals("timeframe", "hour")))
	if len(rs[0]) != 1 || rs[len(rs)-1]["maxmem"] != float64(1<<30) {
		t.Fatalf("new vm: first %v last %v", rs[0], rs[len(rs)-1])
	}
	// the node's cpu follows: 101 (4 cores) runs, 100 (2 cores) no longer
	node := rows(t, e.ok("GET", "/nodes/pve1/rrddata", vals("timeframe", "hour")))
	st := e.ok("GET", "/nodes/pve1/status", nil).(map[string]any)
	if node[len(node)-1]["cpu"] != st["cpu"] || node[0]["cpu"] == st["cpu"] {
		t.Fatalf("node cpu %v .. %v, status %v", node[0]["cpu"], node[len(node)-1]["cpu"], st["cpu"])
	}
}

func TestRRDDataStorage(t *testing.T) {
	e := newEnv(t, Options{})
	e.advance(30 * time.Second)
	rs := rows(t, e.ok("GET", "/nodes/pve1/storage/local/rrddata", vals("timeframe", "hour")))
	last := rs[len(rs)-1]
	st := e.ok("GET", "/nodes/pve1/storage/local/status", nil).(map[string]any)
	if !reflect.DeepEqual(keysOf(last), []string{"time", "total", "used"}) || last["used"] != st["used"] || last["total"] != st["total"] {
		t.Fatalf("storage row %v vs status %v", last, st)
	}
	r := e.do("GET", "/nodes/pve1/storage/nope/rrddata", vals("timeframe", "hour"))
	if r.status != 500 || r.message != "RRD error: rrdcached: rrd_fetch_r failed: opening '/var/lib/rrdcached/db/pve-storage-9.0/pve1/nope': No such file or directory\n" {
		t.Fatalf("missing storage: %d %q", r.status, r.message)
	}
	old := newEnv(t, Options{Schema: "8.4"})
	r = old.do("GET", "/nodes/pve1/storage/nope/rrddata", vals("timeframe", "hour"))
	if !strings.Contains(r.message, "/db/pve2-storage/pve1/nope'") {
		t.Fatalf("8.4 missing storage: %q", r.message)
	}
}

func pngOf(t *testing.T, s string) (w, h int) {
	t.Helper()
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 255 {
			t.Fatalf("image char %U above Latin-1", r)
		}
		b = append(b, byte(r))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestRRDGraph(t *testing.T) {
	e := newEnv(t, Options{})
	e.advance(30 * time.Second)
	for path, file := range map[string]string{
		"/nodes/pve1/rrd":               "/var/lib/rrdcached/db/pve-node-9.0/pve1_cpu_iowait.png",
		"/nodes/pve1/qemu/100/rrd":      "/var/lib/rrdcached/db/pve-vm-9.0/100_cpu_iowait.png",
		"/nodes/pve1/storage/local/rrd": "/var/lib/rrdcached/db/pve2-storage/pve1/local_cpu_iowait.png",
	} {
		ds := "cpu,iowait"
		if strings.Contains(path, "qemu") {
			ds = "cpu,mem"
			file = strings.Replace(file, "iowait", "mem", 1)
		} else if strings.Contains(path, "storage") {
			ds = "total,used"
			file = strings.Replace(file, "cpu_iowait", "total_used", 1)
		}
		m := e.ok("GET", path, vals("timeframe", "day", "ds", ds)).(map[string]any)
		if m["filename"] != file {
			t.Fatalf("%s filename %v", path, m["filename"])
		}
		if w, h := pngOf(t, m["image"].(string)); w != 800 || h != 200 {
			t.Fatalf("%s image %dx%d", path, w, h)
		}
	}
	r := e.do("GET", "/nodes/pve1/rrd", vals("timeframe", "hour", "ds", "cpu,iowait,memused"))
	if r.status != 500 || r.message != "fixme: no color definition\n" {
		t.Fatalf("three ds: %d %q", r.status, r.message)
	}
	r = e.do("GET", "/nodes/pve1/rrd", vals("timeframe", "hour", "ds", "bogus"))
	if r.status != 500 || r.message != "RRD error: No DS called 'bogus' in '/var/lib/rrdcached/db/pve-node-9.0/pve1'\n" {
		t.Fatalf("unknown ds: %d %q", r.status, r.message)
	}
	if r := e.do("GET", "/nodes/pve1/rrd", vals("timeframe", "hour")); r.status != 400 || r.errors["ds"] == "" {
		t.Fatalf("no ds: %d %s", r.status, r.raw)
	}
	old := newEnv(t, Options{Schema: "8.4"})
	m := old.ok("GET", "/nodes/pve1/lxc/200/rrd", vals("timeframe", "hour", "ds", "cpu")).(map[string]any)
	if m["filename"] != "/var/lib/rrdcached/db/pve2-vm/200_cpu.png" {
		t.Fatalf("8.4 filename %v", m["filename"])
	}
}

func TestRRDPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	must(t, e.sim.AddToken("ops@pve!tk", "x", true))
	auth := "PVEAPIToken=ops@pve!tk=x"
	for path, want := range map[string]string{
		"/nodes/pve1/rrddata":               "Permission check failed (/nodes/pve1, Sys.Audit)",
		"/nodes/pve1/qemu/100/rrddata":      "Permission check failed (/vms/100, VM.Audit)",
		"/nodes/pve1/storage/local/rrddata": "Permission check failed (/storage/local, Datastore.Audit|Datastore.AllocateSpace)",
	} {
		if r := e.doAuth("GET", path, vals("timeframe", "hour"), auth); r.status != 403 || r.reason != want {
			t.Fatalf("%s: %d %q", path, r.status, r.reason)
		}
	}
	must(t, e.sim.SetACL("/vms/100", "ops@pve", "PVEAuditor", true))
	must(t, e.sim.SetACL("/vms/100", "ops@pve!tk", "PVEAuditor", true))
	if r := e.doAuth("GET", "/nodes/pve1/qemu/100/rrddata", vals("timeframe", "hour"), auth); r.status != 200 {
		t.Fatalf("with VM.Audit: %d %q", r.status, r.reason)
	}
}

func TestRRDBucketXFF(t *testing.T) {
	// a source known in 20 of 30 PDPs averages them; in 10 of 30 it is unknown
	src := &rrdSource{fields: []string{"v"}, waveIdx: -1, segs: []rrdSeg{{from: 600, to: 1800, vals: []float64{2}}}}
	if v := src.bucket(0, 0, 1800, "AVERAGE"); v[0] != 2 {
		t.Fatalf("20/30 known: %v", v)
	}
	src.segs[0].from = 1200
	if v := src.bucket(0, 0, 1800, "AVERAGE"); !math.IsNaN(v[0]) {
		t.Fatalf("10/30 known: %v", v)
	}
}
