package doctor

import (
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

func getenv(env map[string]string) config.Getenv {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func run(t *testing.T, env map[string]string) Report {
	t.Helper()
	return Run(context.Background(), Options{Getenv: getenv(env), Timeout: 5 * time.Second})
}

func check(t *testing.T, r Report, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, r.Checks)
	return Check{}
}

func TestDoctorAllGood(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{})
	r := run(t, cl.Env(nil))
	if !r.OK {
		t.Fatalf("not ok: %+v", r.Checks)
	}
	for _, name := range []string{"configuration", "dns", "tcp", "tls", "auth", "cluster", "privileges"} {
		c := check(t, r, name)
		if c.Status != OK && c.Status != Skip {
			t.Errorf("%s: %+v", name, c)
		}
	}
	if c := check(t, r, "cluster"); !strings.Contains(c.Detail, "Proxmox VE 9.1") || !strings.Contains(c.Detail, "nodes online") {
		t.Errorf("cluster: %s", c.Detail)
	}
}

func TestDoctorSelfSignedPrintsThePin(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{})
	env := cl.Env(nil)
	delete(env, "PROXMOX_TLS_FINGERPRINT")
	r := run(t, env)
	c := check(t, r, "tls")
	if r.OK || c.Status != Fail || !strings.Contains(strings.Join(c.Fix, "\n"), "PROXMOX_TLS_FINGERPRINT="+cl.Fingerprint) {
		t.Fatalf("tls: %+v", c)
	}
	if !strings.Contains(c.Detail, cl.Fingerprint) || !strings.Contains(c.Detail, "valid") {
		t.Errorf("detail: %s", c.Detail)
	}
	for _, later := range r.Checks {
		if later.Name == "auth" {
			t.Errorf("checks went on past a failed TLS step")
		}
	}
	env["PROXMOX_TLS_FINGERPRINT"] = strings.Replace(cl.Fingerprint, cl.Fingerprint[:2], "00", 1)
	if c := check(t, run(t, env), "tls"); c.Status != Fail || !strings.Contains(strings.Join(c.Fix, " "), "PROXMOX_TLS_FINGERPRINT="+cl.Fingerprint) {
		t.Errorf("wrong pin: %+v", c)
	}
}

func TestDoctorCAFile(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cl.Server.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := cl.Env(map[string]string{"PROXMOX_CA_FILE": ca})
	delete(env, "PROXMOX_TLS_FINGERPRINT")
	if r := run(t, env); !r.OK || check(t, r, "tls").Status != OK {
		t.Errorf("CA file: %+v", r.Checks)
	}
}

func TestDoctorTicketAndBadSecret(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{})
	env := cl.Env(map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": cl.Sim.RootPassword()})
	delete(env, "PROXMOX_TOKEN_ID")
	delete(env, "PROXMOX_TOKEN_SECRET")
	if r := run(t, env); !r.OK || !strings.Contains(check(t, r, "auth").Detail, "root@pam") {
		t.Errorf("ticket: %+v", r.Checks)
	}
	env = cl.Env(map[string]string{"PROXMOX_TOKEN_SECRET": "00000000-0000-0000-0000-000000000000"})
	c := check(t, run(t, env), "auth")
	if c.Status != Fail || !strings.Contains(strings.Join(c.Fix, " "), "PROXMOX_TOKEN_SECRET") {
		t.Errorf("bad secret: %+v", c)
	}
}

func TestDoctorConfigAndTCP(t *testing.T) {
	r := run(t, map[string]string{})
	if c := check(t, r, "configuration"); r.OK || c.Status != Fail || !strings.Contains(c.Detail, "PROXMOX_HOST") {
		t.Errorf("no config: %+v", c)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r = run(t, map[string]string{"PROXMOX_HOST": "https://" + addr, "PROXMOX_TOKEN_ID": "mcp@pve!mcp", "PROXMOX_TOKEN_SECRET": "00000000-0000-0000-0000-000000000000"})
	if c := check(t, r, "tcp"); c.Status != Fail || !strings.Contains(c.Fix[len(c.Fix)-1], "pveproxy") {
		t.Errorf("closed port: %+v", c)
	}
}

// TestDoctorMissingPrivileges gives a token every privilege the default
// read-only tools need but one, for each in turn: doctor must fail, name a
// tool that needs it, and print the pveum lines that grant it.
func TestDoctorMissingPrivileges(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{})
	names, err := tools.SelectedNames(tools.Selection{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	grants := tools.Grants(names)
	n := 0
	for gi, g := range grants {
		for _, missing := range g.Privileges {
			if g.Path != "/" && heldAtRoot(grants, missing) {
				continue // a grant on / propagates to g.Path too
			}
			n++
			id := fmt.Sprintf("lim%d@pve!mcp", n)
			secret := "11111111-2222-3333-4444-" + strings.Repeat("5", 12)
			if err := cl.Sim.AddToken(id, secret, false); err != nil {
				t.Fatal(err)
			}
			user, _, _ := strings.Cut(id, "!")
			for gj, h := range grants {
				privs := h.Privileges
				if gi == gj {
					privs = without(privs, missing)
				}
				role := fmt.Sprintf("R%d-%d", n, gj)
				if err := cl.Sim.AddRole(role, privs...); err != nil {
					t.Fatal(err)
				}
				if err := cl.Sim.SetACL(h.Path, user, role, true); err != nil {
					t.Fatal(err)
				}
			}
			r := run(t, cl.Env(map[string]string{"PROXMOX_TOKEN_ID": id, "PROXMOX_TOKEN_SECRET": secret}))
			c := check(t, r, "privileges")
			// a privilege only part of a tool needs limits it (warn); any
			// other refuses a tool (fail, exit status 1)
			named, part := false, false
			for _, a := range r.Tools.Refused {
				named = named || strings.Contains(a.Needs, missing)
			}
			for _, a := range r.Tools.Limited {
				part = part || strings.Contains(a.Needs, missing)
			}
			if !(named && c.Status == Fail && !r.OK) && !(part && c.Status == Warn) {
				t.Errorf("without %s on %s: %+v, tools %+v", missing, g.Path, c, r.Tools)
				continue
			}
			named = named || part
			fix := strings.Join(c.Fix, "\n")
			if !named || !strings.Contains(fix, missing) || !strings.Contains(fix, "pveum acl modify "+g.Path+" --users '"+user+"' --tokens '"+id+"'") {
				t.Errorf("without %s on %s: refused %+v, fix %s", missing, g.Path, r.Tools.Refused, fix)
			}
		}
	}
	if n < 4 {
		t.Errorf("only %d privileges tried", n)
	}
}

func heldAtRoot(grants []tools.Grant, priv string) bool {
	for _, g := range grants {
		if g.Path == "/" {
			for _, p := range g.Privileges {
				if p == priv {
					return true
				}
			}
		}
	}
	return false
}

func without(list []string, x string) []string {
	var out []string
	for _, p := range list {
		if p != x {
			out = append(out, p)
		}
	}
	return out
}
