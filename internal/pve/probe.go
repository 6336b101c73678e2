package pve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
)

// ProbeTLS makes one TLS handshake with the server of o.BaseURL, trusting
// what the client would trust. It returns the server's certificate also
// when the handshake refused it (read by a second, unverified handshake),
// so a caller can show the fingerprint to pin.
func ProbeTLS(ctx context.Context, o Options) (*x509.Certificate, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", o.BaseURL, err)
	}
	cfg, err := tlsConfig(o)
	if err != nil {
		return nil, err
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	cfg.ServerName = u.Hostname()
	leaf, err := handshake(ctx, addr, cfg)
	if err == nil {
		return leaf, nil
	}
	probe := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname(), InsecureSkipVerify: true} //nolint:gosec // only to show the certificate
	leaf, _ = handshake(ctx, addr, probe)
	return leaf, err
}

func handshake(ctx context.Context, addr string, cfg *tls.Config) (*x509.Certificate, error) {
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s sent no certificate", addr)
	}
	return certs[0], nil
}
