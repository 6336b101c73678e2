package pvesim

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault kinds.
const (
	FaultLatency     = "latency"      // delay matching requests by Delay
	FaultError       = "error"        // answer Status (500) with Message
	FaultOffline     = "offline"      // Node answers 595 Connection refused (or Status 596...), shows offline
	FaultReset       = "reset"        // close the connection with a TCP reset
	FaultHang        = "hang"         // never answer (until the client gives up or the simulator closes)
	FaultNonJSON     = "nonjson"      // answer Status (200) with a non-JSON body
	FaultHTML        = "html"         // answer Status (502) with an HTML error page
	FaultTaskFail    = "task-fail"    // matching tasks end with TASK ERROR: Message
	FaultLockTimeout = "lock-timeout" // VMID's config lock times out (sync 500 or task error)
	FaultTaskVanish  = "task-vanish"  // matching tasks disappear: Mode "killed" (unexpected status) or "gone" (no such task)
)

// Fault is an injected failure. Zero match fields match everything.
type Fault struct {
	ID       int           `json:"id"`
	Kind     string        `json:"kind"`
	Method   string        `json:"method,omitempty"`   // request method to match
	Path     string        `json:"path,omitempty"`     // prefix of the path below /api2/json
	Node     string        `json:"node,omitempty"`     // offline; task faults: the task's node
	VMID     int           `json:"vmid,omitempty"`     // task and lock faults
	TaskType string        `json:"tasktype,omitempty"` // task faults, e.g. qmclone
	Status   int           `json:"status,omitempty"`
	Message  string        `json:"message,omitempty"`
	Delay    time.Duration `json:"delay,omitempty"`
	Mode     string        `json:"mode,omitempty"`  // task-vanish: killed|gone
	Count    int           `json:"count,omitempty"` // remaining uses; 0 = until removed
}

func (f *Fault) validate() error {
	switch f.Kind {
	case FaultLatency, FaultError, FaultReset, FaultHang, FaultNonJSON, FaultHTML, FaultTaskFail, FaultTaskVanish:
	case FaultOffline:
		if f.Node == "" {
			return fmt.Errorf("offline fault needs a node")
		}
	case FaultLockTimeout:
		if f.VMID == 0 {
			return fmt.Errorf("lock-timeout fault needs a vmid")
		}
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Kind == FaultTaskVanish && f.Mode != "" && f.Mode != "killed" && f.Mode != "gone" {
		return fmt.Errorf("task-vanish mode must be killed or gone, got %q", f.Mode)
	}
	return nil
}

// ParseFault reads the --fault flag syntax: KIND[:key=value,...], keys
// method, path, node, vmid, tasktype, status, message, delay, mode, count.
func ParseFault(spec string) (Fault, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	f := Fault{Kind: kind}
	if rest != "" {
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return f, fmt.Errorf("fault %q: %q is not key=value", spec, kv)
			}
			var err error
			switch k {
			case "method":
				f.Method = strings.ToUpper(v)
			case "path":
				f.Path = v
			case "node":
				f.Node = v
			case "vmid":
				f.VMID, err = strconv.Atoi(v)
			case "tasktype", "type":
				f.TaskType = v
			case "status":
				f.Status, err = strconv.Atoi(v)
			case "message", "msg":
				f.Message = v
			case "delay":
				f.Delay, err = time.ParseDuration(v)
			case "mode":
				f.Mode = v
			case "count":
				f.Count, err = strconv.Atoi(v)
			default:
				return f, fmt.Errorf("fault %q: unknown key %q", spec, k)
			}
			if err != nil {
				return f, fmt.Errorf("fault %q: %s: %w", spec, k, err)
			}
		}
	}
	return f, f.validate()
}

// AddFault installs a fault and returns its id.
func (s *Sim) AddFault(f Fault) (int, error) {
	if err := f.validate(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Kind == FaultOffline && s.st.node(f.Node) == nil {
		return 0, fmt.Errorf("no such node %q", f.Node)
	}
	s.faultN++
	f.ID = s.faultN
	s.faults = append(s.faults, &f)
	s.syncOffline()
	return f.ID, nil
}

// Faults lists the installed faults.
func (s *Sim) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// RemoveFault removes one fault; ClearFaults removes all.
func (s *Sim) RemoveFault(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.ID == id {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			s.syncOffline()
			return true
		}
	}
	return false
}

func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.syncOffline()
}

// syncOffline marks nodes offline while an offline fault names them.
func (s *Sim) syncOffline() {
	for _, n := range s.st.nodes {
		n.offline = false
	}
	for _, f := range s.faults {
		if f.Kind == FaultOffline {
			if n := s.st.node(f.Node); n != nil {
				n.offline = true
			}
		}
	}
}

func (f *Fault) matchRequest(method, rel string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	return f.Path == "" || strings.HasPrefix(rel, f.Path)
}

// take returns the first matching fault of the kinds and uses it up once.
// Callers hold s.mu.
func (s *Sim) take(match func(f *Fault) bool, kinds ...string) *Fault {
	for i, f := range s.faults {
		ok := false
		for _, k := range kinds {
			if f.Kind == k {
				ok = true
			}
		}
		if !ok || !match(f) {
			continue
		}
		cp := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				s.syncOffline()
			}
		}
		return &cp
	}
	return nil
}

func (s *Sim) transportFault(method, rel string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.take(func(f *Fault) bool { return f.matchRequest(method, rel) },
		FaultLatency, FaultReset, FaultHang, FaultNonJSON, FaultHTML)
}

// abortAnswer is applyTransportFault's "drop the connection unanswered":
// a hung server never answers, not even with the empty 200 net/http would
// send when the handler returns.
const abortAnswer = -1

// applyTransportFault answers (or not) for a transport fault; it returns the
// status for the request log (0: no answer, abortAnswer: none, and the
// connection is to be dropped). Latency continues normally.
func (s *Sim) applyTransportFault(w http.ResponseWriter, r *http.Request, f *Fault) int {
	switch f.Kind {
	case FaultReset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := underlyingTCP(conn); ok {
					_ = tc.SetLinger(0)
				}
				conn.Close()
				return 0
			}
		}
		panic(http.ErrAbortHandler)
	case FaultHang:
		// Read the body, as Proxmox would have: only then does net/http
		// notice a client that gives up, and the request is let go.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		return abortAnswer
	case FaultNonJSON:
		st := f.Status
		if st == 0 {
			st = 200
		}
		body := f.Message
		if body == "" {
			body = "this is not JSON"
		}
		writeRaw(w, r, st, http.StatusText(st), "text/plain", []byte(body))
		return st
	case FaultHTML:
		st := f.Status
		if st == 0 {
			st = 502
		}
		body := fmt.Sprintf("<html>\n<head><title>%d %s</title></head>\n<body>\n<center><h1>%d %s</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n",
			st, http.StatusText(st), st, http.StatusText(st))
		writeRaw(w, r, st, http.StatusText(st), "text/html", []byte(body))
		return st
	}
	return 0
}

func underlyingTCP(c net.Conn) (*net.TCPConn, bool) {
	type netConner interface{ NetConn() net.Conn }
	if nc, ok := c.(netConner); ok {
		c = nc.NetConn()
	}
	tc, ok := c.(*net.TCPConn)
	return tc, ok
}

// errorFault returns the API error of a matching error fault.
func (s *Sim) errorFault(method, rel string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.take(func(f *Fault) bool { return f.matchRequest(method, rel) }, FaultError)
	if f == nil {
		return nil
	}
	st := f.Status
	if st == 0 {
		st = 500
	}
	msg := f.Message
	if msg == "" {
		msg = "internal error"
	}
	if st >= 595 {
		return &apiError{status: st, msg: msg, empty: true}
	}
	return &apiError{status: st, msg: msg + "\n"}
}

func (s *Sim) offlineFault(node string) *Fault {
	for _, f := range s.faults {
		if f.Kind == FaultOffline && f.Node == node {
			return f
		}
	}
	return nil
}

// lockFaultDelay is the wait of a pending lock-timeout fault on a write to vmid.
func (s *Sim) lockFaultDelay(method, vmid string) time.Duration {
	if method == "GET" || vmid == "" {
		return 0
	}
	id, _ := strconv.Atoi(vmid)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Kind == FaultLockTimeout && f.VMID == id {
			return f.Delay
		}
	}
	return 0
}

// lockTimeoutFault is the sync 500 of a config lock that cannot be taken.
// Callers hold s.mu.
func (s *Sim) lockTimeoutFault(g *guest) error {
	f := s.take(func(f *Fault) bool { return f.VMID == g.vmid }, FaultLockTimeout)
	if f == nil {
		return nil
	}
	return failf("%s", g.kind.lockTimeout(g.vmid))
}

// applyTaskFaults changes a new task's fate. Callers hold s.mu.
func (s *Sim) applyTaskFaults(t *task, vmid int) {
	match := func(f *Fault) bool {
		return (f.TaskType == "" || f.TaskType == t.typ) && (f.VMID == 0 || f.VMID == vmid) && (f.Node == "" || f.Node == t.node)
	}
	if f := s.take(func(f *Fault) bool { return vmid != 0 && f.VMID == vmid }, FaultLockTimeout); f != nil {
		t.lines = at(0, "trying to acquire lock...")
		t.failMsg = kindOfTask(t.typ).lockTimeout(vmid)
		t.failAt = 0
		t.dur = time.Duration(float64(time.Second) * s.opts.Speed)
		return
	}
	if f := s.take(match, FaultTaskFail); f != nil {
		msg := f.Message
		if msg == "" {
			msg = "simulated task failure"
		}
		t.failMsg = msg
		if t.failAt == 0 {
			t.failAt = 0.5
		}
	}
	if f := s.take(match, FaultTaskVanish); f != nil {
		if f.Mode == "gone" {
			t.removed = true
		} else {
			t.killed = true
			t.failMsg = "killed"
			t.failAt = 0.5
		}
	}
}
