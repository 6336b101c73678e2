package pvesim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The simulator's SSH endpoint: one sshd per node (each its own address and
// host key) where root, with an authorized key, runs `pct exec` against the
// simulated containers (pct.go). It is what pve_lxc_exec talks to in tests
// and in `sim --ssh-listen`.

// SSHOptions configure ServeSSH.
type SSHOptions struct {
	// Listen is host:port of the first node's sshd; node i listens on port+i,
	// or each on a free port when the port is 0. Default 127.0.0.1:0.
	Listen string
	// AuthorizedKeys returns the keys root may log in with. It is asked at
	// each login, so the keys may change while the simulator runs.
	AuthorizedKeys func() ([]ssh.PublicKey, error)
}

// SSHNode is one node's sshd.
type SSHNode struct {
	Node    string
	Addr    string // host:port
	HostKey ssh.PublicKey
}

// SSHServer is the running endpoint.
type SSHServer struct {
	sim   *Sim
	nodes []SSHNode
	lns   []net.Listener
	auth  func() ([]ssh.PublicKey, error)
	wg    sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]bool
	cmds   []string // command lines received, "node: line"
	closed bool
}

// ServeSSH starts an sshd for every node.
func (s *Sim) ServeSSH(o SSHOptions) (*SSHServer, error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.AuthorizedKeys == nil {
		return nil, errors.New("pvesim: ServeSSH needs AuthorizedKeys")
	}
	host, portText, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("pvesim: ssh listen address %q: %w", o.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("pvesim: ssh listen address %q: bad port", o.Listen)
	}
	s.mu.Lock()
	var names []string
	for _, n := range s.st.nodes {
		names = append(names, n.name)
	}
	s.mu.Unlock()
	x := &SSHServer{sim: s, auth: o.AuthorizedKeys, conns: map[net.Conn]bool{}}
	for i, name := range names {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			x.Close()
			return nil, err
		}
		signer, err := ssh.NewSignerFromKey(priv)
		if err != nil {
			x.Close()
			return nil, err
		}
		p := 0
		if port != 0 {
			p = port + i
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			x.Close()
			return nil, fmt.Errorf("pvesim: ssh listen for %s: %w", name, err)
		}
		x.lns = append(x.lns, ln)
		x.nodes = append(x.nodes, SSHNode{Node: name, Addr: ln.Addr().String(), HostKey: signer.PublicKey()})
		conf := &ssh.ServerConfig{PublicKeyCallback: x.checkKey, ServerVersion: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7"}
		conf.AddHostKey(signer)
		x.wg.Add(1)
		go x.serve(ln, name, conf)
	}
	return x, nil
}

// Nodes lists each node's sshd.
func (x *SSHServer) Nodes() []SSHNode { return append([]SSHNode(nil), x.nodes...) }

// Hosts is the PVE_SSH_HOSTS value that reaches every node.
func (x *SSHServer) Hosts() string {
	var parts []string
	for _, n := range x.nodes {
		parts = append(parts, n.Node+"="+n.Addr)
	}
	return strings.Join(parts, ",")
}

// KnownHosts is a known_hosts file pinning every node's host key.
func (x *SSHServer) KnownHosts() string {
	var b strings.Builder
	for _, n := range x.nodes {
		b.WriteString(knownhosts.Line([]string{knownhosts.Normalize(n.Addr)}, n.HostKey) + "\n")
	}
	return b.String()
}

// Commands lists the command lines received, as "node: line".
func (x *SSHServer) Commands() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]string(nil), x.cmds...)
}

// Close stops every sshd and drops the connections.
func (x *SSHServer) Close() error {
	x.mu.Lock()
	x.closed = true
	for c := range x.conns {
		c.Close()
	}
	x.mu.Unlock()
	for _, ln := range x.lns {
		ln.Close()
	}
	x.wg.Wait()
	return nil
}

// AuthorizedKeysFile reads an authorized_keys file at each call; a missing
// file authorizes no key.
func AuthorizedKeysFile(path string) func() ([]ssh.PublicKey, error) {
	return func() ([]ssh.PublicKey, error) {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var keys []ssh.PublicKey
		for len(bytes.TrimSpace(data)) > 0 {
			k, _, _, rest, err := ssh.ParseAuthorizedKey(data)
			if err != nil {
				return keys, nil // the rest holds no key
			}
			keys = append(keys, k)
			data = rest
		}
		return keys, nil
	}
}

func (x *SSHServer) checkKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if meta.User() != "root" {
		return nil, fmt.Errorf("pvesim: only root logs in")
	}
	keys, err := x.auth()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if bytes.Equal(k.Marshal(), key.Marshal()) {
			return &ssh.Permissions{}, nil
		}
	}
	return nil, fmt.Errorf("pvesim: key not authorized")
}

func (x *SSHServer) serve(ln net.Listener, node string, conf *ssh.ServerConfig) {
	defer x.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		x.mu.Lock()
		if x.closed {
			x.mu.Unlock()
			conn.Close()
			return
		}
		x.conns[conn] = true
		x.wg.Add(1)
		x.mu.Unlock()
		go func() {
			defer x.wg.Done()
			x.handle(conn, node, conf)
			x.mu.Lock()
			delete(x.conns, conn)
			x.mu.Unlock()
		}()
	}
}

func (x *SSHServer) handle(conn net.Conn, node string, conf *ssh.ServerConfig) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(conn, conf)
	if err != nil {
		return
	}
	defer sc.Close()
	_ = conn.SetDeadline(time.Time{})
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.session(node, ch, creqs)
		}()
	}
}

// session serves one channel: one exec, then its exit status; a signal
// request or the client going away ends a command that still runs.
func (x *SSHServer) session(node string, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	kill, gone := make(chan struct{}), make(chan struct{})
	var once sync.Once
	started := false
	finished := make(chan struct{})
	for {
		var req *ssh.Request
		var ok bool
		select {
		case req, ok = <-reqs:
		case <-finished:
			return
		}
		if !ok {
			close(gone)
			if started {
				<-finished
			}
			return
		}
		switch {
		case req.Type == "exec" && !started:
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			started = true
			x.mu.Lock()
			x.cmds = append(x.cmds, node+": "+p.Command)
			x.mu.Unlock()
			go func() {
				defer close(finished)
				x.run(node, p.Command, ch, kill, gone)
			}()
		case req.Type == "signal":
			once.Do(func() { close(kill) })
			_ = req.Reply(true, nil)
		default:
			// env, pty-req, shell, subsystem: not offered
			_ = req.Reply(false, nil)
		}
	}
}

func (x *SSHServer) run(node, line string, ch ssh.Channel, kill, gone <-chan struct{}) {
	r := x.sim.nodeCommand(node, line)
	_, _ = ch.Write([]byte(r.out))
	_, _ = ch.Stderr().Write([]byte(r.err))
	if r.wait > 0 {
		t := time.NewTimer(r.wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-kill:
			_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
				Signal     string
				CoreDumped bool
				Msg, Lang  string
			}{Signal: "KILL"}))
			return
		case <-gone:
			return
		case <-x.sim.closed:
			return
		}
	}
	_ = ch.CloseWrite()
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(r.code)}))
}
