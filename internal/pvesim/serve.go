package pvesim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// RunConfig is what Run serves: a simulated cluster on one address.
type RunConfig struct {
	Options          // the cluster; Logger nil logs warnings to Stderr
	Listen    string // address to listen on; default 127.0.0.1:8006
	PlainHTTP bool   // plain HTTP instead of TLS with a self-signed certificate
	Faults    []Fault
	// SSHListen, when set, serves an sshd per node for pct exec (sshd.go),
	// the first at this address, the others on the next ports (or free
	// ones with port 0). SSHDir receives known_hosts and is where
	// authorized_keys is read at each login.
	SSHListen, SSHDir string
	Stdout            io.Writer // the environment to use is printed here
	Stderr            io.Writer
}

// Run serves a simulated cluster (`proxmox-mcp-server sim`) until ctx is
// done or SIGINT/SIGTERM arrives, after printing the environment to use.
func Run(ctx context.Context, rc RunConfig) error {
	if rc.Stdout == nil {
		rc.Stdout = io.Discard
	}
	if rc.Stderr == nil {
		rc.Stderr = io.Discard
	}
	if rc.Listen == "" {
		rc.Listen = "127.0.0.1:8006"
	}
	o := rc.Options
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(rc.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	stdout, stderr := rc.Stdout, rc.Stderr
	start := time.Now()
	sim, err := New(o)
	if err != nil {
		return err
	}
	defer sim.Close()
	for _, f := range rc.Faults {
		if _, err := sim.AddFault(f); err != nil {
			return fmt.Errorf("sim: add fault: %w", err)
		}
	}
	ln, err := net.Listen("tcp", rc.Listen)
	if err != nil {
		return fmt.Errorf("sim: listen: %w", err)
	}
	if host, _, _ := net.SplitHostPort(rc.Listen); !config.IsLoopbackHost(host) {
		fmt.Fprintf(stderr, "warning: listening on %s, which is not a loopback address\n", rc.Listen)
	}
	srv := &http.Server{
		Handler:           sim.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Second, // pveproxy's keep-alive idle timeout
		// HTTP/1.1 only, like pveproxy (and error reason phrases need it)
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     nil,
	}
	scheme, fingerprint := "http", ""
	if !rc.PlainHTTP {
		if ln, fingerprint, err = withTLS(ln); err != nil {
			return err
		}
		scheme = "https"
	}
	addr := ln.Addr().String()
	if h, p, err := net.SplitHostPort(addr); err == nil && (h == "0.0.0.0" || h == "::") {
		addr = net.JoinHostPort("127.0.0.1", p)
	}
	sshd, err := startSSH(sim, rc)
	if err != nil {
		ln.Close()
		return err
	}
	if sshd != nil {
		defer sshd.Close()
	}
	var sshEnv string
	if sshd != nil {
		sshEnv = fmt.Sprintf("# pve_lxc_exec: add a public key to %s, then export PVE_SSH_KEY_FILE=<its private key, mode 600>\n"+
			"export PVE_SSH_KNOWN_HOSTS=%s\nexport PVE_SSH_HOSTS=%s\n",
			filepath.Join(rc.SSHDir, "authorized_keys"), filepath.Join(rc.SSHDir, "known_hosts"), sshd.Hosts())
	}
	sim.printEnv(stdout, scheme+"://"+addr, fingerprint, time.Since(start), len(o.Users) == 0, sshEnv)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("sim: serve: %w", err)
		}
		return nil
	}
	sim.Close() // release hanging requests before shutting down
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sim: serve: %w", err)
	}
	return nil
}

// startSSH serves the nodes' sshd when asked, and writes known_hosts.
func startSSH(sim *Sim, rc RunConfig) (*SSHServer, error) {
	if rc.SSHListen == "" {
		return nil, nil
	}
	if rc.SSHDir == "" {
		return nil, errors.New("sim: --ssh-listen needs --ssh-dir, where known_hosts is written and authorized_keys read")
	}
	if err := os.MkdirAll(rc.SSHDir, 0o700); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	x, err := sim.ServeSSH(SSHOptions{Listen: rc.SSHListen, AuthorizedKeys: AuthorizedKeysFile(filepath.Join(rc.SSHDir, "authorized_keys"))})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(rc.SSHDir, "known_hosts"), []byte(x.KnownHosts()), 0o644); err != nil {
		x.Close()
		return nil, fmt.Errorf("sim: %w", err)
	}
	return x, nil
}

// withTLS serves ln over TLS with a new self-signed certificate and
// returns its fingerprint.
func withTLS(ln net.Listener) (net.Listener, string, error) {
	cert, fp, err := selfSigned(ln.Addr().(*net.TCPAddr).IP)
	if err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("sim: certificate: %w", err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return tls.NewListener(ln, conf), fp, nil
}

// printEnv prints what a client needs: the environment for the server, the
// certificate's fingerprint and, when the password was made up, the ticket
// login.
// sshEnv, the PVE_SSH_* lines, comes before the token lines, which tell a
// reader that start-up is done.
func (s *Sim) printEnv(w io.Writer, url, fingerprint string, ready time.Duration, madeUpPassword bool, sshEnv string) {
	id, secret := s.DefaultToken()
	fmt.Fprintf(w, "# Proxmox VE %s simulator: %d nodes, %d guests, speed %g (ready in %s)\n",
		s.Version(), s.opts.Nodes, len(s.st.guests), s.opts.Speed, ready.Round(time.Millisecond))
	if fingerprint != "" {
		// Pinning is what a self-signed node needs; skipping verification
		// (PROXMOX_INSECURE_TLS) would teach the wrong habit.
		// (The comment line is what scripts and the fidelity harness read.)
		fmt.Fprintf(w, "# TLS certificate SHA-256 fingerprint: %s\n", fingerprint)
		fmt.Fprintf(w, "export PROXMOX_TLS_FINGERPRINT=%s\n", fingerprint)
	}
	fmt.Fprintf(w, "export PROXMOX_HOST=%s\n", url)
	fmt.Fprint(w, sshEnv)
	fmt.Fprintf(w, "export PROXMOX_TOKEN_ID='%s'\n", id)
	fmt.Fprintf(w, "export PROXMOX_TOKEN_SECRET='%s'\n", secret)
	if pw := s.RootPassword(); pw != "" && madeUpPassword {
		fmt.Fprintf(w, "# ticket login: root@pam / %s\n", pw)
	}
}

// selfSigned makes a certificate for localhost and the listen address and
// returns it with its SHA-256 fingerprint in Proxmox's colon-hex form.
func selfSigned(ip net.IP) (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "pve1", Organization: []string{"PVE Cluster Node"}, OrganizationalUnit: []string{"pvesim"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(2 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "pve1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pve.CertFingerprint(der), nil
}
