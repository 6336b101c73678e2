package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// The replication runs pvescheduler makes: due jobs run on the simulated
// clock whenever a replication endpoint is read.

var everyMinutesRE = lazyre.New(`^\*/(\d+)$`)

// nextEvent approximates compute_next_event for the schedules replication
// jobs use: "*/N" minutes, else the daily time nextRun reads.
func nextEvent(schedule string, from int64, loc *time.Location) int64 {
	if schedule == "" {
		schedule = "*/15"
	}
	if m := everyMinutesRE.FindStringSubmatch(schedule); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n <= 0 || n > 60 {
			n = 15
		}
		step := int64(n * 60)
		return (from/step + 1) * step
	}
	return nextRun(schedule, time.Unix(from, 0).In(loc))
}

// nextSync is job_status's next_sync.
func (s *Sim) nextSync(j *replJob) int64 {
	if j.opts["remove_job"] != "" {
		return 1
	}
	if j.fails > 0 {
		if tn := s.st.node(j.opts["target"]); tn == nil || tn.offline {
			return 0
		}
		wait := int64(30)
		if j.fails <= 3 {
			wait = int64(5 * j.fails)
		}
		return j.lastTry + 60*wait
	}
	return nextEvent(j.opts["schedule"], j.lastTry, s.now().Location())
}

// replTick runs every job that is due, oldest first; a job marked for
// removal goes at the scheduler's next minute.
func (s *Sim) replTick() {
	r := s.st.repl()
	now := s.now()
	ids := sortedKeys(r.jobs)
	sort.Strings(ids)
	for _, id := range ids {
		j := r.jobs[id]
		g := s.st.guests[j.guest]
		if g == nil {
			continue
		}
		if j.opts["remove_job"] != "" {
			if !now.Before(j.removeAt) {
				delete(r.jobs, id)
			}
			continue
		}
		first := j.created.Truncate(time.Minute).Add(time.Minute).Unix()
		for i := 0; i < 200 && j.opts["disable"] != "1"; i++ {
			due := s.nextSync(j)
			if due == 0 {
				break
			}
			if due < first {
				due = first
			}
			if due > now.Unix() {
				break
			}
			s.replRun(j, g, time.Unix(due, 0).In(now.Location()))
		}
	}
}

// replRun is one run of PVE::Replication::run_replication.
func (s *Sim) replRun(j *replJob, g *guest, at time.Time) {
	stamp := func(d time.Duration, text string) string {
		return at.Add(d).Format("2006-01-02 15:04:05") + " " + j.id + ": " + text
	}
	j.lastTry = at.Unix()
	running := "0"
	if g.running {
		running = strconv.Itoa(int(0x1000 + g.vmid*7))
	}
	vols, err := s.st.replicatable(g)
	log := []string{stamp(0, "start replication job"), stamp(0, fmt.Sprintf("guest => %s %d, running => %s", g.typeName(), g.vmid, running)),
		stamp(0, "volumes => "+strings.Join(vols, ","))}
	if err == nil {
		if tn := s.st.node(j.opts["target"]); tn == nil || tn.offline {
			ip := ""
			if tn != nil {
				ip = tn.ip
			}
			err = fmt.Errorf("command '/usr/bin/ssh -e none -o 'BatchMode=yes' -o 'HostKeyAlias=%s' root@%s -- pvesr prepare-local-job %s --scan %s --last_sync %d' failed: exit code 255",
				j.opts["target"], ip, j.id, strings.Join(storagesOf(vols), ","), j.lastSync)
		}
	}
	if err != nil {
		j.fails++
		j.err = err.Error()
		j.duration = 0.35
		j.log = append(log, stamp(time.Second, "end replication job with error: "+j.err))
		return
	}
	snap := fmt.Sprintf("__replicate_%s_%d__", j.id, at.Unix())
	rate := "none"
	if v := j.opts["rate"]; v != "" {
		rate = v
	}
	d := time.Second
	for _, v := range vols {
		log = append(log, stamp(d, fmt.Sprintf("create snapshot '%s' on %s", snap, v)))
	}
	log = append(log, stamp(d, "using secure transmission, rate limit: "+rate))
	for _, v := range vols {
		size := int64(0)
		if vol := s.st.findVolume(g.node, v); vol != nil {
			size = vol.size
		}
		_, name, _ := strings.Cut(v, ":")
		if j.snap == 0 {
			log = append(log, stamp(d, fmt.Sprintf("full sync '%s' (%s)", v, snap)),
				stamp(d+time.Second, fmt.Sprintf("full send of rpool/data/%s@%s estimated size is %s", name, snap, zfsSize(size))))
			d += time.Duration(1+size/(1<<30)) * time.Second
		} else {
			prev := fmt.Sprintf("__replicate_%s_%d__", j.id, j.snap)
			log = append(log, stamp(d, fmt.Sprintf("incremental sync '%s' (%s => %s)", v, prev, snap)),
				stamp(d+time.Second, fmt.Sprintf("send from @%s to rpool/data/%s@%s estimated size is %s", prev, name, snap, zfsSize(size/200))))
			d += time.Second
		}
		log = append(log, stamp(d, fmt.Sprintf("successfully imported '%s'", v)))
	}
	if j.snap != 0 {
		for _, v := range vols {
			log = append(log, stamp(d, fmt.Sprintf("delete previous replication snapshot '__replicate_%s_%d__' on %s", j.id, j.snap, v)))
		}
	}
	log = append(log, stamp(d, "end replication job"))
	j.log, j.snap, j.lastSync, j.fails, j.err = log, at.Unix(), at.Unix(), 0, ""
	j.duration = d.Seconds() + 0.42
}

func storagesOf(vols []string) []string {
	var out []string
	for _, v := range vols {
		sid, _, _ := strings.Cut(v, ":")
		if !contains(out, sid) {
			out = append(out, sid)
		}
	}
	return out
}

// zfsSize is zfs send's estimate: 1.23G, 356M, 624B.
func zfsSize(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.3gG", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.3gM", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.3gK", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%dB", b)
}

// replStatusJSON is job_status plus extract_job_status for one job.
func (s *Sim) replStatusJSON(j *replJob, g *guest) map[string]any {
	m := j.configJSON()
	m["vmtype"] = string(g.kind)
	m["next_sync"] = s.nextSync(j)
	m["last_sync"] = j.lastSync
	m["last_try"] = j.lastTry
	m["fail_count"] = j.fails
	if j.lastTry != 0 {
		m["duration"] = j.duration
	}
	if j.err != "" {
		m["error"] = j.err
	}
	return m
}
