package pve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tlsServer is a TLS server with httptest's self-signed certificate.
func tlsServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"data":null}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv
}

func writePEM(t *testing.T, der ...[]byte) string {
	t.Helper()
	var b strings.Builder
	for _, d := range der {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: d})
	}
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

//lint:ignore ST1008 the error is the result under test
func tlsGet(t *testing.T, o Options) (error, int32) {
	t.Helper()
	o.TokenID, o.TokenSecret, o.RetryBase = testTokenID, testSecret, time.Millisecond
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer c.CloseIdleConnections()
	var dials atomic.Int32
	tr := c.hc.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	return c.Get(context.Background(), "/version", nil, nil), dials.Load()
}

func TestFingerprintPinning(t *testing.T) {
	srv := tlsServer(t)
	leaf := srv.Certificate().Raw
	fp := CertFingerprint(leaf)

	for _, form := range []string{fp, strings.ToLower(fp), strings.ReplaceAll(fp, ":", ""), " " + fp + "\n"} {
		if err, _ := tlsGet(t, Options{BaseURL: srv.URL, Fingerprint: form}); err != nil {
			t.Errorf("fingerprint %q: %v", form, err)
		}
	}

	other := strings.Repeat("AB:", 31) + "CD"
	err, dials := tlsGet(t, Options{BaseURL: srv.URL, Fingerprint: other})
	var fe *FingerprintMismatchError
	if !errors.As(err, &fe) || fe.Got != fp || fe.Want != other {
		t.Fatalf("mismatch: err = %v", err)
	}
	if !strings.Contains(err.Error(), fp) || !strings.Contains(err.Error(), other) {
		t.Errorf("error does not name both fingerprints: %v", err)
	}
	if dials != 1 {
		t.Errorf("%d connections: a pin mismatch is not retried", dials)
	}
}

func TestCAFile(t *testing.T) {
	srv := tlsServer(t)
	// httptest's certificate is its own CA.
	ca := writePEM(t, srv.Certificate().Raw)
	if err, _ := tlsGet(t, Options{BaseURL: srv.URL, CAFile: ca}); err != nil {
		t.Errorf("CA file: %v", err)
	}
	// A CA file with another CA: refused, without retries.
	wrong := writePEM(t, selfSigned(t))
	err, dials := tlsGet(t, Options{BaseURL: srv.URL, CAFile: wrong})
	if err == nil || !strings.Contains(err.Error(), "certificate") || dials != 1 {
		t.Errorf("wrong CA: err = %v after %d connections", err, dials)
	}
	// CA file and pin together: both must hold.
	fp := CertFingerprint(srv.Certificate().Raw)
	if err, _ := tlsGet(t, Options{BaseURL: srv.URL, CAFile: ca, Fingerprint: fp}); err != nil {
		t.Errorf("CA + pin: %v", err)
	}
	if err, _ := tlsGet(t, Options{BaseURL: srv.URL, CAFile: wrong, Fingerprint: fp}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("pin matches but CA does not: err = %v", err)
	}
}

func TestTLSOptionsChecked(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := Options{BaseURL: "https://pve:8006", TokenID: testTokenID, TokenSecret: testSecret}
	for name, mod := range map[string]func(*Options){
		"insecure and pin":    func(o *Options) { o.InsecureTLS, o.Fingerprint = true, strings.Repeat("AB:", 31)+"CD" },
		"insecure and CA":     func(o *Options) { o.InsecureTLS, o.CAFile = true, empty },
		"missing CA file":     func(o *Options) { o.CAFile = filepath.Join(t.TempDir(), "nope.pem") },
		"CA file without PEM": func(o *Options) { o.CAFile = empty },
		"short pin":           func(o *Options) { o.Fingerprint = "AB:CD" },
		"SHA-1 pin":           func(o *Options) { o.Fingerprint = strings.Repeat("AB:", 19) + "CD" },
		"non-hex pin":         func(o *Options) { o.Fingerprint = strings.Repeat("AB:", 31) + "ZZ" },
	} {
		o := base
		mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	want := strings.Repeat("0A:", 31) + "FF"
	for _, in := range []string{want, strings.ToLower(want), strings.ReplaceAll(want, ":", "")} {
		fp, err := ParseFingerprint(in)
		if err != nil || FormatFingerprint(fp[:]) != want {
			t.Errorf("%q: %v %s", in, err, FormatFingerprint(fp[:]))
		}
	}
	for _, in := range []string{"", ":", want + ":", want + "00", "A:" + want[3:] + "0", strings.Replace(want, ":", "-", 1), strings.Replace(want, "0A", "0G", 1)} {
		if _, err := ParseFingerprint(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// selfSigned makes an unrelated CA certificate (DER).
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
