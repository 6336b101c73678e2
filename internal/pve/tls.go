package pve

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// FingerprintMismatchError is a server certificate whose SHA-256 fingerprint
// is not the pinned one.
type FingerprintMismatchError struct {
	Got, Want string // colon-hex, upper case, as Proxmox shows them
}

func (e *FingerprintMismatchError) Error() string {
	return "server certificate fingerprint " + e.Got + " does not match the pinned fingerprint " + e.Want +
		" (if the certificate was renewed, pin the new one from Node > System > Certificates)"
}

// ParseFingerprint reads a SHA-256 fingerprint as Proxmox shows it
// ("AB:CD:..." , 32 colon-separated hex bytes) in any letter case; the form
// without colons (64 hex digits) and openssl's line ("sha256
// Fingerprint=AB:CD:...") are accepted too. It is the one reading of a
// fingerprint: configuration checks it with this, the client pins with it.
func ParseFingerprint(s string) ([sha256.Size]byte, error) {
	var fp [sha256.Size]byte
	h := strings.TrimSpace(s)
	if i := strings.LastIndexByte(h, '='); i >= 0 {
		h = strings.TrimSpace(h[i+1:])
	}
	if strings.Contains(h, ":") {
		parts := strings.Split(h, ":")
		if len(parts) != sha256.Size {
			return fp, errors.New("a SHA-256 fingerprint has 32 colon-separated hex bytes")
		}
		for _, p := range parts {
			if len(p) != 2 {
				return fp, errors.New("a SHA-256 fingerprint has 32 colon-separated hex bytes")
			}
		}
		h = strings.Join(parts, "")
	}
	if len(h) != 2*sha256.Size {
		return fp, errors.New("a SHA-256 fingerprint has 32 colon-separated hex bytes")
	}
	if _, err := hex.Decode(fp[:], []byte(h)); err != nil {
		return fp, errors.New("a SHA-256 fingerprint holds only hex digits and colons")
	}
	return fp, nil
}

// FormatFingerprint writes a fingerprint as Proxmox shows it.
func FormatFingerprint(fp []byte) string {
	var b strings.Builder
	for i, c := range fp {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// CertFingerprint is the SHA-256 fingerprint of a DER certificate.
func CertFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return FormatFingerprint(sum[:])
}

// tlsConfig builds the client's TLS settings: system roots by default, only
// the CA file's certificates when one is given, and with a fingerprint the
// leaf certificate must match it (then an unknown or self-signed issuer is
// fine, unless a CA file is given too: then both must hold).
func tlsConfig(o Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.InsecureTLS {
		if o.CAFile != "" || o.Fingerprint != "" {
			return nil, errors.New("proxmox: InsecureTLS turns certificate checks off; it cannot be combined with a CA file or a fingerprint")
		}
		cfg.InsecureSkipVerify = true //nolint:gosec // explicit opt-in
		return cfg, nil
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("proxmox: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("proxmox: CA file %s holds no PEM certificate", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.Fingerprint == "" {
		return cfg, nil
	}
	want, err := ParseFingerprint(o.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("proxmox: TLS fingerprint: %w", err)
	}
	roots := cfg.RootCAs
	// The default verification would refuse a self-signed certificate before
	// the pin is looked at; VerifyConnection does all of the checking instead.
	cfg.InsecureSkipVerify = true //nolint:gosec // replaced by VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("server sent no certificate")
		}
		leaf := cs.PeerCertificates[0]
		if got := sha256.Sum256(leaf.Raw); got != want {
			return &FingerprintMismatchError{Got: FormatFingerprint(got[:]), Want: FormatFingerprint(want[:])}
		}
		if roots == nil {
			return nil
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: cs.ServerName})
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
		return nil
	}
	return cfg, nil
}
