package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runSim is `proxmox-mcp-server sim`: the simulator's flags, then pvesim.Run.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rc, err := parseSimFlags(args, stderr)
	if err != nil {
		return err
	}
	rc.Stdout, rc.Stderr = stdout, stderr
	return pvesim.Run(ctx, rc)
}

func parseSimFlags(args []string, stderr io.Writer) (pvesim.RunConfig, error) {
	var rc pvesim.RunConfig
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&rc.Listen, "listen", "127.0.0.1:8006", "address to listen on (loopback by default)")
	fs.BoolVar(&rc.PlainHTTP, "plain-http", false, "serve plain HTTP instead of TLS with a self-signed certificate")
	fs.IntVar(&rc.Nodes, "nodes", 3, "number of cluster nodes (pve1..pveN)")
	fs.IntVar(&rc.Guests, "guests", 0, "extra guests to seed (ids from 1000), for benchmarks")
	fs.Float64Var(&rc.Speed, "speed", 1, "task duration multiplier (0.01 = 100x faster)")
	fs.StringVar(&rc.Schema, "schema", pveschema.Newest(), "PVE API schema and version to simulate: "+strings.Join(pveschema.Versions(), ", "))
	fs.Int64Var(&rc.Seed, "seed", 1, "seed for generated MACs, UUIDs and pids")
	fs.DurationVar(&rc.AuthDelay, "auth-delay", 0, "delay before a 401 (a real node waits 3s)")
	fs.BoolVar(&rc.Ceph, "ceph", false, "install and configure Ceph on every node (default: no node has Ceph)")
	fs.StringVar(&rc.SSHListen, "ssh-listen", "", "serve an sshd per node for pct exec (pve_lxc_exec), the first at this address, e.g. 127.0.0.1:2222 (port 0: free ports)")
	fs.StringVar(&rc.SSHDir, "ssh-dir", "", "with --ssh-listen: directory where known_hosts is written and authorized_keys read")
	var tokens, users, faults multiFlag
	fs.Var(&tokens, "token", "API token ID=SECRET with full privileges (repeatable; default: a generated root@pam!mcp token)")
	fs.Var(&users, "user", "user USER@REALM=PASSWORD for ticket login (repeatable; default: root@pam with a generated password)")
	fs.Var(&faults, "fault", "fault to inject, KIND[:key=value,...] (repeatable; see the admin API /_sim/faults)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, "usage: proxmox-mcp-server sim [flags]\n\nRuns a simulated Proxmox VE cluster (HTTPS with a self-signed certificate unless --plain-http).\n\n")
		fs.PrintDefaults()
		fmt.Fprint(w, "\nThe simulator reads no environment variable. The server connects to it with these\n"+
			"(the simulator prints the values to use when it starts):\n")
		config.WriteVars(w, "proxmox")
	}
	if err := fs.Parse(args); err != nil {
		return rc, err
	}
	if fs.NArg() > 0 {
		return rc, fmt.Errorf("sim: unexpected arguments %q", fs.Args())
	}
	if rc.Speed <= 0 {
		return rc, fmt.Errorf("sim: --speed must be positive, got %v", rc.Speed)
	}
	rc.Tokens = map[string]string{}
	for _, t := range tokens {
		id, secret, ok := strings.Cut(t, "=")
		if !ok || secret == "" {
			return rc, fmt.Errorf("sim: --token %q: want ID=SECRET", t)
		}
		rc.Tokens[id] = secret
	}
	rc.Users = map[string]string{}
	for _, u := range users {
		id, pw, ok := strings.Cut(u, "=")
		if !ok {
			return rc, fmt.Errorf("sim: --user %q: want USER@REALM=PASSWORD", u)
		}
		rc.Users[id] = pw
	}
	for _, f := range faults {
		pf, err := pvesim.ParseFault(f)
		if err != nil {
			return rc, fmt.Errorf("sim: --fault: %w", err)
		}
		rc.Faults = append(rc.Faults, pf)
	}
	return rc, nil
}
