package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestSimFlags(t *testing.T) {
	var errb bytes.Buffer
	rc, err := parseSimFlags([]string{"--plain-http", "--listen", "127.0.0.1:0", "--token", "root@pam!ci=abc", "--user", "u@pve=pw",
		"--speed", "0.01", "--schema", "8.4", "--nodes", "2", "--guests", "5", "--seed", "7", "--auth-delay", "1s", "--fault", "error:status=500",
		"--ceph", "--ssh-listen", "127.0.0.1:2222", "--ssh-dir", "/tmp/x"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if !rc.PlainHTTP || rc.Listen != "127.0.0.1:0" || rc.Tokens["root@pam!ci"] != "abc" || rc.Users["u@pve"] != "pw" ||
		rc.Speed != 0.01 || rc.Schema != "8.4" || rc.Nodes != 2 || rc.Guests != 5 || rc.Seed != 7 || rc.AuthDelay != time.Second || len(rc.Faults) != 1 ||
		rc.Ceph && rc.SSHListen != "127.0.0.1:2222" || rc.SSHDir != "/tmp/x" {
		t.Fatalf("parsed %+v", rc)
	}
}

func TestSimFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"--token", "nosecret"}, {"--user", "nopassword"}, {"--speed", "0"},
		{"--schema", "6.4", "--plain-http", "--listen", "127.0.0.1:0"}, {"--fault", "explode"}, {"extra"}} {
		var out, errb bytes.Buffer
		if err := runSim(context.Background(), args, &out, &errb); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
