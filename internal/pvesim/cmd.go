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
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Run is `proxmox-mcp-server sim`: it serves a simulated cluster until ctx is
// done or SIGINT/SIGTERM arrives, after printing the environment to use.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8006", "address to listen on (loopback by default)")
	plain := fs.Bool("plain-http", false, "serve plain HTTP instead of TLS with a self-signed certificate")
	nodes := fs.Int("nodes", 3, "number of cluster nodes (pve1..pveN)")
	guests := fs.Int("guests", 0, "extra guests to seed (ids from 1000), for benchmarks")
	speed := fs.Float64("speed", 1, "task duration multiplier (0.01 = 100x faster)")
	schema := fs.String("schema", pveschema.Newest(), "PVE API schema and version to simulate: "+strings.Join(pveschema.Versions(), ", "))
	seed := fs.Int64("seed", 1, "seed for generated MACs, UUIDs and pids")
	authDelay := fs.Duration("auth-delay", 0, "delay before a 401 (a real node waits 3s)")
	var tokens, users, faults multiFlag
	fs.Var(&tokens, "token", "API token ID=SECRET with full privileges (repeatable; default: a generated root@pam!mcp token)")
	fs.Var(&users, "user", "user USER@REALM=PASSWORD for ticket login (repeatable; default: root@pam with a generated password)")
	fs.Var(&faults, "fault", "fault to inject, KIND[:key=value,...] (repeatable; see the admin API /_sim/faults)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected arguments %q", fs.Args())
	}
	o := Options{Nodes: *nodes, Guests: *guests, Speed: *speed, Schema: *schema, Seed: *seed, AuthDelay: *authDelay,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if *speed <= 0 {
		return fmt.Errorf("sim: --speed must be positive, got %v", *speed)
	}
	o.Tokens = map[string]string{}
	for _, t := range tokens {
		id, secret, ok := strings.Cut(t, "=")
		if !ok || secret == "" {
			return fmt.Errorf("sim: --token %q: want ID=SECRET", t)
		}
		o.Tokens[id] = secret
	}
	o.Users = map[string]string{}
	for _, u := range users {
		id, pw, ok := strings.Cut(u, "=")
		if !ok {
			return fmt.Errorf("sim: --user %q: want USER@REALM=PASSWORD", u)
		}
		o.Users[id] = pw
	}
	var parsed []Fault
	for _, f := range faults {
		pf, err := ParseFault(f)
		if err != nil {
			return fmt.Errorf("sim: --fault: %w", err)
		}
		parsed = append(parsed, pf)
	}
	start := time.Now()
	sim, err := New(o)
	if err != nil {
		return err
	}
	defer sim.Close()
	for _, f := range parsed {
		if _, err := sim.AddFault(f); err != nil {
			return fmt.Errorf("sim: --fault: %w", err)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("sim: listen: %w", err)
	}
	if host, _, _ := net.SplitHostPort(*listen); !config.IsLoopbackHost(host) {
		fmt.Fprintf(stderr, "warning: listening on %s, which is not a loopback address\n", *listen)
	}
	srv := &http.Server{
		Handler:           sim.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Second, // pveproxy's keep-alive idle timeout
		// HTTP/1.1 only, like pveproxy (and error reason phrases need it)
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     nil,
	}
	scheme := "http"
	fingerprint := ""
	if !*plain {
		cert, fp, err := selfSigned(ln.Addr().(*net.TCPAddr).IP)
		if err != nil {
			ln.Close()
			return fmt.Errorf("sim: certificate: %w", err)
		}
		fingerprint = fp
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	addr := ln.Addr().String()
	if h, p, err := net.SplitHostPort(addr); err == nil && (h == "0.0.0.0" || h == "::") {
		addr = net.JoinHostPort("127.0.0.1", p)
	}
	id, secret := sim.DefaultToken()
	fmt.Fprintf(stdout, "# Proxmox VE %s simulator: %d nodes, %d guests, speed %g (ready in %s)\n",
		sim.Version(), o.Nodes, len(sim.st.guests), o.Speed, time.Since(start).Round(time.Millisecond))
	if fingerprint != "" {
		fmt.Fprintf(stdout, "# TLS certificate SHA-256 fingerprint: %s\n", fingerprint)
		fmt.Fprintf(stdout, "export PROXMOX_INSECURE_TLS=true\n")
	}
	fmt.Fprintf(stdout, "export PROXMOX_HOST=%s://%s\n", scheme, addr)
	fmt.Fprintf(stdout, "export PROXMOX_TOKEN_ID='%s'\n", id)
	fmt.Fprintf(stdout, "export PROXMOX_TOKEN_SECRET='%s'\n", secret)
	if pw := sim.RootPassword(); pw != "" && len(o.Users) == 0 {
		fmt.Fprintf(stdout, "# ticket login: root@pam / %s\n", pw)
	}

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
