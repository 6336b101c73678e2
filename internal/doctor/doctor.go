// Package doctor checks a setup step by step, as `proxmox-mcp-server
// doctor` prints it: configuration, DNS, TCP, TLS, authentication, the
// Proxmox version and quorum, and the privileges the enabled tools need.
package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// Status of a check.
const (
	OK   = "ok"
	Warn = "warn"
	Fail = "fail"
	Skip = "skip"
)

// Check is one step's outcome; Fix says what to do when it is not ok.
type Check struct {
	Name   string   `json:"check"`
	Status string   `json:"status"`
	Detail string   `json:"detail"`
	Fix    []string `json:"fix,omitempty"`
}

// Report is every step, and what the privileges mean for the tools.
type Report struct {
	Checks []Check             `json:"checks"`
	Tools  *tools.AccessReport `json:"tools,omitempty"`
	Grants []tools.Grant       `json:"grants,omitempty"` // what the refused and limited tools need
	// Clusters has a report per cluster of PVE_CONFIG_FILE; Checks then
	// holds the file's own check.
	Clusters []ClusterReport `json:"clusters,omitempty"`
	OK       bool            `json:"ok"`
}

// ClusterReport is one named cluster's checks.
type ClusterReport struct {
	Name    string `json:"name"`
	Default bool   `json:"default,omitempty"`
	Report
}

// Options configure Run.
type Options struct {
	Getenv  config.Getenv
	Timeout time.Duration // of each network step; 0: 10 s
	// Resolver looks the host up; nil: net.DefaultResolver.
	Resolver *net.Resolver
}

// Run checks in order and stops at the first step the later ones need.
func Run(ctx context.Context, o Options) Report {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	var r Report
	add := func(c Check) bool {
		r.Checks = append(r.Checks, c)
		return c.Status != Fail
	}
	cfg, err := config.Load(o.Getenv)
	if err == nil && cfg.Clusters != nil {
		cs := cfg.Clusters
		add(Check{Name: "configuration", Status: OK, Detail: fmt.Sprintf("PVE_CONFIG_FILE %s: clusters %s (default %s), %d policies",
			cs.Path, strings.Join(cs.Names(), ", "), cs.Default, len(cs.Policies))})
		for _, c := range cs.List {
			one := checkCluster(ctx, o, c.Config, Report{Checks: []Check{configCheck(c.Config, nil)}})
			r.Clusters = append(r.Clusters, ClusterReport{Name: c.Name, Default: c.Name == cfg.Clusters.Default, Report: one})
		}
		return r.done()
	}
	if !add(configCheck(cfg, err)) {
		return r.done()
	}
	return checkCluster(ctx, o, cfg, r)
}

// checkCluster runs the network steps for one cluster's configuration.
func checkCluster(ctx context.Context, o Options, cfg *config.Config, r Report) Report {
	add := func(c Check) bool {
		r.Checks = append(r.Checks, c)
		return c.Status != Fail
	}
	host, port := cfg.Host.Hostname(), cfg.Host.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[cfg.Host.Scheme]
	}
	addrs, c := dnsCheck(ctx, o, host)
	if !add(c) {
		return r.done()
	}
	if !add(tcpCheck(ctx, o, addrs, host, port, cfg.Host)) {
		return r.done()
	}
	popts := clientOptions(cfg)
	if cfg.Host.Scheme == "https" {
		if !add(tlsCheck(ctx, o, popts)) {
			return r.done()
		}
	} else {
		add(Check{Name: "tls", Status: Warn, Detail: "PROXMOX_HOST is plain http: requests and the credential travel unencrypted",
			Fix: []string{"use https://" + cfg.Host.Host + " (Proxmox serves HTTPS on 8006)"}})
	}
	client, err := pve.New(popts)
	if err != nil {
		add(Check{Name: "auth", Status: Fail, Detail: err.Error()})
		return r.done()
	}
	defer client.CloseIdleConnections()
	v, c := authCheck(ctx, o, client, cfg)
	if !add(c) {
		return r.done()
	}
	add(clusterCheck(ctx, o, client, v))
	c, access, grants := privilegesCheck(ctx, o, client, cfg)
	add(c)
	r.Tools, r.Grants = access, grants
	return r.done()
}

func (r Report) done() Report {
	r.OK = true
	for _, c := range r.Checks {
		if c.Status == Fail {
			r.OK = false
		}
	}
	for _, c := range r.Clusters {
		r.OK = r.OK && c.OK
	}
	return r
}

// clientOptions are the server's, without retries: doctor reports the
// first answer.
func clientOptions(cfg *config.Config) pve.Options {
	o := server.ClientOptions(cfg, slog.New(slog.DiscardHandler))
	o.MaxRetries = -1
	return o
}

func configCheck(cfg *config.Config, err error) Check {
	if err != nil {
		return Check{Name: "configuration", Status: Fail, Detail: err.Error(),
			Fix: []string{"set the variables named above (README, Configuration); `proxmox-mcp-server demo` runs without a cluster"}}
	}
	who := "token " + cfg.TokenID
	if cfg.Username != "" {
		who = "user " + cfg.Username + " (password login)"
	}
	mode := "read-only (PVE_READONLY=true)"
	if !cfg.ReadOnly {
		mode = "writes enabled"
	}
	c := Check{Name: "configuration", Status: OK, Detail: fmt.Sprintf("%s at %s, %s", who, cfg.Host, mode)}
	if cfg.InsecureTLS {
		c.Status, c.Fix = Warn, []string{"PROXMOX_INSECURE_TLS=true skips the certificate check: pin it with PROXMOX_TLS_FINGERPRINT instead (doctor prints it when unset)"}
	}
	return c
}

func dnsCheck(ctx context.Context, o Options, host string) ([]string, Check) {
	if ip := net.ParseIP(host); ip != nil {
		return []string{host}, Check{Name: "dns", Status: Skip, Detail: host + " is an address"}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	addrs, err := o.Resolver.LookupHost(ctx, host)
	if err != nil {
		return nil, Check{Name: "dns", Status: Fail, Detail: fmt.Sprintf("%s does not resolve: %v", host, err),
			Fix: []string{"check the name in PROXMOX_HOST, or use the node's IP address (https://192.0.2.10:8006)"}}
	}
	return addrs, Check{Name: "dns", Status: OK, Detail: host + " is " + strings.Join(addrs, ", ")}
}

func tcpCheck(ctx context.Context, o Options, addrs []string, host, port string, u *url.URL) Check {
	d := net.Dialer{Timeout: o.Timeout}
	addr := net.JoinHostPort(addrs[0], port)
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		conn.Close()
		return Check{Name: "tcp", Status: OK, Detail: "connected to " + addr}
	}
	c := Check{Name: "tcp", Status: Fail, Detail: fmt.Sprintf("cannot connect to %s (%s): %v", net.JoinHostPort(host, port), addrs[0], err)}
	if u.Port() == "" {
		c.Fix = append(c.Fix, fmt.Sprintf("Proxmox's API listens on port 8006: PROXMOX_HOST=%s://%s:8006", u.Scheme, host))
	}
	c.Fix = append(c.Fix, "check that the node is up, pveproxy runs (systemctl status pveproxy) and no firewall drops the port")
	return c
}

func tlsCheck(ctx context.Context, o Options, popts pve.Options) Check {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	leaf, err := pve.ProbeTLS(ctx, popts)
	if err == nil {
		detail := "certificate " + certText(leaf) + " is trusted"
		if popts.Fingerprint != "" {
			detail += " (pinned by PROXMOX_TLS_FINGERPRINT)"
		}
		return Check{Name: "tls", Status: OK, Detail: detail}
	}
	c := Check{Name: "tls", Status: Fail, Detail: "the node's certificate is not trusted: " + err.Error()}
	var mismatch *pve.FingerprintMismatchError
	if leaf == nil {
		return c
	}
	fp := pve.CertFingerprint(leaf.Raw)
	c.Detail += "; it is " + certText(leaf) + ", SHA-256 " + fp
	switch {
	case errors.As(err, &mismatch):
		c.Fix = []string{"the certificate changed since it was pinned; if the node's certificate was renewed (compare with Node > System > Certificates), pin the new one:",
			"PROXMOX_TLS_FINGERPRINT=" + fp}
	case time.Now().After(leaf.NotAfter):
		c.Fix = []string{"the certificate expired on " + leaf.NotAfter.Format(time.DateOnly) + ": renew it on the node (pvecm updatecerts --force, or ACME)"}
	default:
		c.Fix = []string{"a fresh Proxmox node has a self-signed certificate; compare this fingerprint with Node > System > Certificates (or `openssl x509 -in /etc/pve/local/pve-ssl.pem -noout -fingerprint -sha256` on the node), then set:",
			"PROXMOX_TLS_FINGERPRINT=" + fp,
			"or PROXMOX_CA_FILE=/path/to/pve-root-ca.pem (the cluster CA, /etc/pve/pve-root-ca.pem on a node)"}
	}
	return c
}

func certText(c *x509.Certificate) string {
	return fmt.Sprintf("%q valid %s to %s", c.Subject.CommonName, c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly))
}
