package pve

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

// An untrusted certificate names itself and the setting that trusts it;
// turning verification off is not what it suggests.
func TestCertificateErrorHints(t *testing.T) {
	srv := tlsServer(t)
	fp := CertFingerprint(srv.Certificate().Raw)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	wrongCA := writePEM(t, selfSigned(t))
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"self-signed", Options{BaseURL: srv.URL}, []string{"not trusted", "self-signed", "PROXMOX_TLS_FINGERPRINT=" + fp, "PROXMOX_CA_FILE", "valid "}},
		{"host name", Options{BaseURL: "https://localhost" + port}, []string{`not valid for "localhost"`, "example.com", "PROXMOX_HOST", "PROXMOX_TLS_FINGERPRINT=" + fp}},
		{"wrong CA", Options{BaseURL: srv.URL, CAFile: wrongCA}, []string{"PROXMOX_CA_FILE", "pve-root-ca.pem", "PROXMOX_TLS_FINGERPRINT=" + fp}},
	} {
		err, _ := tlsGet(t, tc.o)
		t.Logf("%s: %v", tc.name, err)
		var ce *CertificateError
		if !errors.As(err, &ce) {
			t.Errorf("%s: not a CertificateError: %v", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "INSECURE") {
			t.Errorf("%s: suggests turning checks off: %v", tc.name, err)
		}
	}
}

// A URL without a port that finds nothing listening is told about 8006.
func TestMissingPortHint(t *testing.T) {
	err, _ := tlsGet(t, Options{BaseURL: "https://127.0.0.1", MaxRetries: -1})
	if err == nil || !strings.Contains(err.Error(), "port 8006") || !strings.Contains(err.Error(), "PROXMOX_HOST=https://127.0.0.1:8006") {
		t.Errorf("got %v", err)
	}
	// With a port, no such hint: the port was chosen.
	err, _ = tlsGet(t, Options{BaseURL: "https://127.0.0.1:1", MaxRetries: -1})
	if err == nil || strings.Contains(err.Error(), "8006") {
		t.Errorf("got %v", err)
	}
}

func TestCertificateErrorExpired(t *testing.T) {
	srv := tlsServer(t)
	leaf := srv.Certificate()
	err := &CertificateError{Leaf: leaf, Host: "pve1", Err: x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired}}
	for _, w := range []string{"expired", "pvecm updatecerts", "PROXMOX_TLS_FINGERPRINT=" + CertFingerprint(leaf.Raw)} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	if !errors.Is(err, err.Err) {
		t.Error("the verification error is not wrapped")
	}
}
