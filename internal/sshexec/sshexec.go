// Package sshexec runs one command on a Proxmox node over SSH, for what the
// API cannot do (pct exec). The node's host key must be pinned in a
// known_hosts file: an unknown or changed key is refused, never trusted on
// first use. Output is bounded, and a timeout closes the session.
package sshexec

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Options configure a Runner.
type Options struct {
	User       string     // the login on the node, e.g. root
	Signer     ssh.Signer // the private key
	KnownHosts string     // path of the known_hosts file with the node keys pinned
	// Names of the settings, for messages (default PVE_SSH_KNOWN_HOSTS and PVE_SSH_KEY_FILE).
	KnownHostsVar, KeyVar string
	DialTimeout           time.Duration // connect and handshake; default 10s
}

// Runner runs commands on nodes. It is safe for concurrent use.
type Runner struct {
	opts  Options
	probe ssh.PublicKey // a key no file pins: asks known_hosts which keys it holds for a host
}

// New checks the options and the known_hosts file.
func New(o Options) (*Runner, error) {
	if o.User == "" || o.Signer == nil || o.KnownHosts == "" {
		return nil, errors.New("sshexec: user, key and known_hosts file are required")
	}
	if o.KnownHostsVar == "" {
		o.KnownHostsVar = "PVE_SSH_KNOWN_HOSTS"
	}
	if o.KeyVar == "" {
		o.KeyVar = "PVE_SSH_KEY_FILE"
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if _, err := knownhosts.New(o.KnownHosts); err != nil {
		return nil, fmt.Errorf("sshexec: %s: %w", o.KnownHostsVar, err)
	}
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return &Runner{opts: o, probe: probe}, nil
}

// User is the login the runner uses.
func (r *Runner) User() string { return r.opts.User }

// Target is the node a command runs on.
type Target struct {
	Node string // named in messages
	Addr string // host:port of its SSH server
}

func (t Target) String() string { return fmt.Sprintf("%s (%s)", t.Node, t.Addr) }

// Limits bound one run.
type Limits struct {
	Timeout   time.Duration // the whole run, connection included; default 1 minute
	MaxOutput int           // bytes kept of stdout and of stderr each; default 64 KiB
}

// Result is what the command did.
type Result struct {
	Stdout, Stderr       string
	StdoutCut, StderrCut int64  // bytes left out beyond MaxOutput
	ExitCode             int    // -1 when the command reported none (killed by a signal)
	Signal               string // the signal that ended it, if any
}

// Kind says why a run failed.
type Kind int

const (
	Failed      Kind = iota // anything else
	Unreachable             // no TCP connection
	UnknownHost             // the host is not in known_hosts
	ChangedKey              // the host presents another key than the pinned one
	AuthFailed              // the node refused the key
	TimedOut                // the timeout ended the session
	Cancelled               // the caller went away
)

// Error is a failed run; its text names the node and what to do, and holds
// no secret.
type Error struct {
	Kind Kind
	// Ran is true when the command was started: its effects may have happened.
	Ran    bool
	Result Result // what arrived before the end (TimedOut, Cancelled)
	msg    string
}

func (e *Error) Error() string { return e.msg }

// Run runs command (one line for the node's shell) on t.
func (r *Runner) Run(ctx context.Context, t Target, command string, l Limits) (Result, error) {
	if l.Timeout <= 0 {
		l.Timeout = time.Minute
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = 64 << 10
	}
	ctx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	client, err := r.connect(ctx, t, l.Timeout)
	if err != nil {
		return Result{}, err
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return Result{}, &Error{Kind: Failed, msg: fmt.Sprintf("SSH session on %s: %v; nothing was run", t, err)}
	}
	defer sess.Close()
	stdout, stderr := &capped{max: l.MaxOutput}, &capped{max: l.MaxOutput}
	sess.Stdout, sess.Stderr = stdout, stderr
	if err := sess.Start(command); err != nil {
		return Result{}, &Error{Kind: Failed, msg: fmt.Sprintf("start the command on %s: %v; nothing was run", t, err)}
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		// Ask the node to kill it, then drop the connection: sshd may leave
		// the process (pct exec, lxc-attach) running without a terminal.
		_ = sess.Signal(ssh.SIGKILL)
		client.Close()
		<-done
		res := stdout.result(stderr)
		res.ExitCode = -1
		kind, why := TimedOut, fmt.Sprintf("timed out after %s", l.Timeout)
		if ctx.Err() == context.Canceled {
			kind, why = Cancelled, "was cancelled"
		}
		return res, &Error{Kind: kind, Ran: true, Result: res, msg: fmt.Sprintf(
			"the command on %s %s; the SSH session was closed, but the command may still be running there (%d bytes of output had arrived)",
			t, why, len(res.Stdout)+len(res.Stderr))}
	}
	res := stdout.result(stderr)
	var exit *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case werr == nil:
	case errors.As(werr, &exit):
		res.ExitCode, res.Signal = exit.ExitStatus(), exit.Signal()
		if res.Signal != "" {
			res.ExitCode = -1
		}
	case errors.As(werr, &missing):
		res.ExitCode = -1
	default:
		return res, &Error{Kind: Failed, Ran: true, Result: res, msg: fmt.Sprintf(
			"the connection to %s ended before the command reported its exit status (%v); it may have run", t, werr)}
	}
	return res, nil
}

// connect dials and logs in, checking the host key against known_hosts.
func (r *Runner) connect(ctx context.Context, t Target, timeout time.Duration) (*ssh.Client, error) {
	hostKeys, err := knownhosts.New(r.opts.KnownHosts)
	if err != nil {
		return nil, &Error{Kind: Failed, msg: fmt.Sprintf("%s: %v; nothing was run", r.opts.KnownHostsVar, err)}
	}
	// Offer only the key types pinned for this host, so a node holding an
	// ed25519 and an RSA key is checked against the one known_hosts holds.
	var algos []string
	var ke *knownhosts.KeyError
	if errors.As(hostKeys(t.Addr, anyAddr, r.probe), &ke) {
		for _, k := range ke.Want {
			algos = append(algos, algorithms(k.Key.Type())...)
		}
	}
	var presented ssh.PublicKey
	var keyErr error
	conf := &ssh.ClientConfig{
		User: r.opts.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(r.opts.Signer)},
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			presented = key
			keyErr = hostKeys(host, remote, key)
			return keyErr
		},
		HostKeyAlgorithms: algos,
		Timeout:           min(r.opts.DialTimeout, timeout),
	}
	d := net.Dialer{Timeout: conf.Timeout}
	conn, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, r.dialError(ctx, t, err)
	}
	_ = conn.SetDeadline(time.Now().Add(conf.Timeout))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, t.Addr, conf)
	stop()
	if err != nil {
		conn.Close()
		return nil, r.handshakeError(ctx, t, err, keyErr, presented)
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

func (r *Runner) dialError(ctx context.Context, t Target, err error) error {
	if ctx.Err() != nil {
		return &Error{Kind: TimedOut, msg: fmt.Sprintf("no SSH connection to %s within the timeout; nothing was run", t)}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return &Error{Kind: Unreachable, msg: fmt.Sprintf(
		"cannot connect to the SSH server of %s: %v (check PVE_SSH_HOSTS or PVE_SSH_PORT, and that sshd runs on the node); nothing was run", t, err)}
}

func (r *Runner) handshakeError(ctx context.Context, t Target, err, keyErr error, presented ssh.PublicKey) error {
	host, port, _ := net.SplitHostPort(t.Addr)
	shown := "another key"
	if presented != nil {
		shown = presented.Type() + " " + ssh.FingerprintSHA256(presented)
	}
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(keyErr, &ke) && len(ke.Want) == 0:
		return &Error{Kind: UnknownHost, msg: fmt.Sprintf(
			"the host key of %s is not in %s (%s): the node presents %s. Check that fingerprint on the node "+
				"(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then add it with: ssh-keyscan -p %s %s >> %s. "+
				"Keys are never trusted on first use; nothing was run",
			t, r.opts.KnownHostsVar, r.opts.KnownHosts, shown, port, host, r.opts.KnownHosts)}
	case errors.As(keyErr, &ke):
		var pinned []string
		for _, k := range ke.Want {
			pinned = append(pinned, fmt.Sprintf("%s line %d: %s %s", k.Filename, k.Line, k.Key.Type(), ssh.FingerprintSHA256(k.Key)))
		}
		return &Error{Kind: ChangedKey, msg: fmt.Sprintf(
			"the host key of %s does not match the one pinned in %s (%s): the node presents %s. Either the node's keys were "+
				"regenerated (then check the new fingerprint on the node and replace that line) or someone is between this "+
				"server and the node. Refused; nothing was run", t, r.opts.KnownHostsVar, strings.Join(pinned, "; "), shown)}
	case errors.As(keyErr, &re):
		return &Error{Kind: ChangedKey, msg: fmt.Sprintf("the host key of %s (%s) is marked @revoked in %s line %d; refused, nothing was run",
			t, shown, re.Revoked.Filename, re.Revoked.Line)}
	case keyErr != nil:
		return &Error{Kind: Failed, msg: fmt.Sprintf("checking the host key of %s: %v; nothing was run", t, keyErr)}
	case strings.Contains(err.Error(), "unable to authenticate"):
		return &Error{Kind: AuthFailed, msg: fmt.Sprintf(
			"%s refused the SSH login as %s with the key of %s (%s %s): add its public key (ssh-keygen -y -f on the key file shows it) "+
				"to ~%s/.ssh/authorized_keys on the node; nothing was run",
			t, r.opts.User, r.opts.KeyVar, r.opts.Signer.PublicKey().Type(), ssh.FingerprintSHA256(r.opts.Signer.PublicKey()), r.opts.User)}
	case ctx.Err() != nil:
		return &Error{Kind: TimedOut, msg: fmt.Sprintf("the SSH handshake with %s did not finish within the timeout; nothing was run", t)}
	}
	return &Error{Kind: Failed, msg: fmt.Sprintf("SSH handshake with %s failed: %v; nothing was run", t, err)}
}

// algorithms are the host key algorithms that prove a key of type typ.
func algorithms(typ string) []string {
	if typ == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{typ}
}

// anyAddr stands for the remote address in the probe: knownhosts matches
// the host name given first.
var anyAddr net.Addr = &net.TCPAddr{IP: net.IPv4zero}

// capped keeps the first max bytes written and counts the rest.
type capped struct {
	buf bytes.Buffer
	max int
	cut int64
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	switch {
	case room <= 0:
		c.cut += int64(len(p))
	case len(p) > room:
		c.buf.Write(p[:room])
		c.cut += int64(len(p) - room)
	default:
		c.buf.Write(p)
	}
	return len(p), nil
}

func (c *capped) result(stderr *capped) Result {
	return Result{Stdout: c.buf.String(), StdoutCut: c.cut, Stderr: stderr.buf.String(), StderrCut: stderr.cut}
}
