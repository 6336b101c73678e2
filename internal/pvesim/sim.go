package pvesim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Options configure a simulator.
type Options struct {
	Nodes  int     // default 3: pve1, pve2, pve3
	Guests int     // extra seeded guests for benchmarks (0 = just the standard seed)
	Speed  float64 // task duration multiplier; 1 = realistic, 0.01 = 100x faster; default 1
	Schema string  // a release of pveschema.Versions; default the newest
	// Tokens maps token id (USER@REALM!NAME) to secret; each gets full privileges.
	// If empty, a default "root@pam!mcp" token with a random secret is created.
	Tokens map[string]string
	// Users maps user id (USER@REALM) to password for ticket login. If empty,
	// root@pam gets a random password (see RootPassword).
	Users     map[string]string
	AuthDelay time.Duration // delay on 401 (a real node waits 3s); default 0
	Logger    *slog.Logger
	// Clock returns the current time; nil means time.Now. Tests may inject a
	// fake clock; Advance shifts simulated time on top of it either way.
	Clock func() time.Time
	// Seed makes generated values (MACs, UUIDs, pids) reproducible; 0 means 1.
	Seed int64
	// Ceph installs and configures Ceph on every node (a monitor and an OSD
	// each, an rbd pool); by default no node has Ceph.
	Ceph bool
	// Schemas, when set, supplies the parsed schema (a twin per plan would
	// otherwise parse it each time).
	Schemas *pveschema.Registry
}

// Request is one entry of the request log.
type Request struct {
	Time   time.Time  `json:"time"`
	Method string     `json:"method"`
	Path   string     `json:"path"` // below /api2/json, unescaped
	Params url.Values `json:"params"`
	Status int        `json:"status"`
	AuthID string     `json:"authid,omitempty"`
}

// Sim is a simulated Proxmox VE cluster.
type Sim struct {
	opts   Options
	log    *slog.Logger
	clock  func() time.Time
	closed chan struct{}
	once   sync.Once

	mu     sync.Mutex // guards everything below and the state
	st     *state
	offset atomic.Int64 // nanoseconds added to clock() by Advance
	faults []*Fault
	faultN int

	acl    *accessControl
	schema *schemaAdapter
	router *router

	reqMu sync.Mutex
	reqs  []Request

	defaultID, defaultSecret string
	rootPassword             string
}

// New builds a simulator with its seeded cluster.
func New(o Options) (*Sim, error) {
	return newSim(o, func(o Options, now time.Time) (*state, error) { return seedState(o, now), nil })
}

// newSim builds a simulator whose cluster build makes.
func newSim(o Options, build func(Options, time.Time) (*state, error)) (*Sim, error) {
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.Nodes > 64 {
		return nil, fmt.Errorf("pvesim: at most 64 nodes, got %d", o.Nodes)
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.Guests < 0 {
		return nil, fmt.Errorf("pvesim: negative guest count %d", o.Guests)
	}
	if o.Schema == "" {
		o.Schema = pveschema.Newest()
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Sim{opts: o, log: o.Logger, clock: o.Clock, closed: make(chan struct{})}
	if s.clock == nil {
		s.clock = time.Now
	}
	sc, err := loadSchema(o.Schema, o.Schemas)
	if err != nil {
		return nil, err
	}
	s.schema = sc
	s.acl = newAccessControl(s.now, sc)
	if err := s.setupAccess(); err != nil {
		return nil, err
	}
	if s.st, err = build(o, s.clock()); err != nil {
		return nil, err
	}
	s.acl.syncPools(s.st)
	if s.router, err = newRouter(sc.schema, sc.release, s.routes()); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Sim) setupAccess() error {
	if len(s.opts.Tokens) == 0 {
		s.defaultID = "root@pam!mcp"
		s.defaultSecret = randomUUID()
		if err := s.acl.addAdminToken(s.defaultID, s.defaultSecret); err != nil {
			return err
		}
	} else {
		ids := make([]string, 0, len(s.opts.Tokens))
		for id := range s.opts.Tokens {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if err := s.acl.addAdminToken(id, s.opts.Tokens[id]); err != nil {
				return fmt.Errorf("pvesim: token %q: %w", id, err)
			}
		}
		s.defaultID, s.defaultSecret = ids[0], s.opts.Tokens[ids[0]]
	}
	users := s.opts.Users
	if len(users) == 0 {
		s.rootPassword = randomHex(12)
		users = map[string]string{"root@pam": s.rootPassword}
	} else {
		s.rootPassword = users["root@pam"]
	}
	for u, p := range users {
		if err := s.acl.addUser(u, p, true); err != nil {
			return fmt.Errorf("pvesim: user %q: %w", u, err)
		}
	}
	return nil
}

// Close releases hanging requests. Tasks need no stopping: their state is
// computed from the clock when observed.
func (s *Sim) Close() {
	s.once.Do(func() { close(s.closed) })
}

// DefaultToken returns the first full-privilege token (id and secret).
func (s *Sim) DefaultToken() (id, secret string) { return s.defaultID, s.defaultSecret }

// RootPassword returns root@pam's password for ticket login.
func (s *Sim) RootPassword() string { return s.rootPassword }

// Version returns the PVE version the simulator reports from /version.
func (s *Sim) Version() string { return s.schema.version }

// Advance moves simulated time forward, so running tasks finish without waiting.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset.Add(int64(d))
	s.advanceLocked()
}

// now is the simulated time.
func (s *Sim) now() time.Time { return s.clock().Add(time.Duration(s.offset.Load())) }

// Requests returns a copy of the request log.
func (s *Sim) Requests() []Request {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make([]Request, len(s.reqs))
	copy(out, s.reqs)
	return out
}

// ResetRequests empties the request log.
func (s *Sim) ResetRequests() {
	s.reqMu.Lock()
	s.reqs = nil
	s.reqMu.Unlock()
}

func (s *Sim) logRequest(r Request) {
	// Passwords (ticket login, container root passwords) stay out of the log.
	for _, k := range []string{"password", "new-password"} {
		if r.Params.Has(k) {
			hidden := "********"
			if strings.HasPrefix(r.Params.Get(k), "PVE:") {
				hidden = "PVE:********" // a ticket posted to renew it: say so, hide it
			}
			r.Params = cloneValues(r.Params)
			r.Params.Set(k, hidden)
		}
	}
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	if len(s.reqs) >= maxRequestLog {
		n := copy(s.reqs, s.reqs[len(s.reqs)/2:])
		s.reqs = s.reqs[:n]
	}
	s.reqs = append(s.reqs, r)
}

const maxRequestLog = 100000

// Reset reseeds the cluster state (guests, storage, tasks, network, jobs) as
// New did; tokens, users, ACLs and faults are kept.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = seedState(s.opts, s.now())
	s.acl.syncPools(s.st)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
