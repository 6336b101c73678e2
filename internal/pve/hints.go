package pve

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// CertificateError is a node certificate the client does not trust, with
// what a user needs to decide and to fix it: the certificate's fingerprint,
// subject and validity, and the setting that trusts it.
type CertificateError struct {
	Leaf   *x509.Certificate // nil when the server sent none
	Host   string            // the host name in PROXMOX_HOST
	CAFile bool              // a CA file was configured (and did not do)
	Err    error             // the verification error
}

func (e *CertificateError) Unwrap() error { return e.Err }

func (e *CertificateError) Error() string {
	if e.Leaf == nil {
		return "TLS: " + e.Err.Error()
	}
	fp := CertFingerprint(e.Leaf.Raw)
	var b strings.Builder
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(e.Err, &host):
		fmt.Fprintf(&b, "the node's TLS certificate is not valid for %q (it names %s): %v. ", e.Host, certNames(e.Leaf), e.Err)
		b.WriteString("Use one of those names in PROXMOX_HOST, or pin the certificate. ")
	case errors.As(e.Err, &invalid) && invalid.Reason == x509.Expired:
		fmt.Fprintf(&b, "the node's TLS certificate has expired or is not yet valid: %v. ", e.Err)
		b.WriteString("Renew it on the node (pvecm updatecerts --force, or Node > System > Certificates) and check the clocks, or pin it. ")
	case e.CAFile:
		fmt.Fprintf(&b, "the node's TLS certificate is not signed by the CA in PROXMOX_CA_FILE: %v. ", e.Err)
		b.WriteString("Check that the file is this cluster's /etc/pve/pve-root-ca.pem, or pin the certificate instead. ")
	default:
		fmt.Fprintf(&b, "the node's TLS certificate is not trusted: %v. ", e.Err)
		b.WriteString("A Proxmox node uses a self-signed certificate unless one was installed. ")
	}
	fmt.Fprintf(&b, "It is subject %q, issuer %q, valid %s to %s, SHA-256 fingerprint %s. ",
		e.Leaf.Subject.String(), e.Leaf.Issuer.String(), e.Leaf.NotBefore.UTC().Format(time.DateOnly),
		e.Leaf.NotAfter.UTC().Format(time.DateOnly), fp)
	b.WriteString("Compare the fingerprint with Node > System > Certificates (or run " +
		"openssl x509 -noout -fingerprint -sha256 -in /etc/pve/local/pve-ssl.pem on the node); if it matches, set " +
		"PROXMOX_TLS_FINGERPRINT=" + fp + " (or PROXMOX_CA_FILE=a copy of the node's /etc/pve/pve-root-ca.pem)")
	return b.String()
}

func certNames(c *x509.Certificate) string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name"
	}
	return strings.Join(names, ", ")
}

// hintTransport adds the cause and the fix to a transport error where they
// are clear: an untrusted certificate, or nothing listening on the port the
// URL implies when it names none (Proxmox listens on 8006).
func (c *Client) hintTransport(err error) error {
	u, perr := url.Parse(c.base)
	if perr != nil {
		return err
	}
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		ce := &CertificateError{Host: u.Hostname(), CAFile: c.caFile, Err: verr.Err}
		if len(verr.UnverifiedCertificates) > 0 {
			ce.Leaf = verr.UnverifiedCertificates[0]
		}
		return ce
	}
	if u.Port() != "" || !(errors.Is(err, syscall.ECONNREFUSED) || isDialTimeout(err)) {
		return err
	}
	return fmt.Errorf("%w (PROXMOX_HOST names no port, so %s's default is used; Proxmox listens on port 8006: "+
		"set PROXMOX_HOST=%s://%s)", err, u.Scheme, u.Scheme, net.JoinHostPort(u.Hostname(), "8006"))
}

func isDialTimeout(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && (op.Timeout() || errors.Is(err, os.ErrDeadlineExceeded))
}
