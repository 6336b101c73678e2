package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestHTTPResources: resources, a prompt, a completion and a task log
// subscription over Streamable HTTP, under allowlists, with the legacy
// resources/subscribe and with the 2026-07-28 subscriptions/listen stream.
func TestHTTPResources(t *testing.T) {
	for _, version := range []string{"2025-11-25", ""} {
		t.Run("version "+version, func(t *testing.T) {
			t.Parallel()
			testHTTPResources(t, version)
		})
	}
}

func testHTTPResources(t *testing.T, version string) {
	cl := newCluster(t, 4) // a VM start of several seconds: subscribed to before it ends
	hs := startHTTP(t, cl, map[string]string{"PVE_NODE_ALLOWLIST": "pve1", "PVE_VMID_ALLOWLIST": "100,101"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var updates atomic.Int32
	tr := &mcp.StreamableClientTransport{Endpoint: hs.url, HTTPClient: &http.Client{Transport: bearer{token: hs.token, base: http.DefaultTransport}}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-ctx", Version: "1"}, &mcp.ClientOptions{
		ResourceUpdatedHandler: func(context.Context, *mcp.ResourceUpdatedNotificationRequest) { updates.Add(1) },
	}).Connect(ctx, tr, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, hs.log())
	}
	defer cs.Close()

	var uris []string
	for r, err := range cs.Resources(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.URI)
	}
	if want := []string{"pve://cluster", "pve://nodes/pve1", "pve://pve1/qemu/100/config", "pve://pve1/qemu/101/config"}; !slices.Equal(uris, want) {
		t.Errorf("resources/list: %v, want %v", uris, want)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "pve://pve1/lxc/200/config"}); err == nil || !strings.Contains(err.Error(), "PVE_VMID_ALLOWLIST") {
		t.Errorf("read of a refused guest: %v", err)
	}
	comp, err := cs.Complete(ctx, &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/prompt", Name: "troubleshoot_guest"},
		Argument: mcp.CompleteParamsArgument{Name: "vmid"}})
	if err != nil || !slices.Equal(comp.Completion.Values, []string{"100", "101"}) {
		t.Errorf("completion: %v %+v", err, comp)
	}
	p, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "drain_node", Arguments: map[string]string{"node": "pve1"}})
	if err != nil || !strings.Contains(p.Messages[0].Content.(*mcp.TextContent).Text, "pve_vm_migrate") {
		t.Errorf("prompt: %v %+v", err, p)
	}

	res, err := cs.CallTool(ctx, mcpParams("pve_vm_start", m("node", "pve1", "vmid", 101, "async", true)))
	if err != nil || res.IsError {
		t.Fatalf("start: %v %+v", err, res)
	}
	var started struct{ UPID string }
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, &started); err != nil || started.UPID == "" {
		t.Fatalf("start answered %s", raw)
	}
	uri := "pve://tasks/" + url.QueryEscape(started.UPID) + "/log"
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
		t.Fatal(err)
	}
	var task struct{ Status, ExitStatus string }
	for deadline := time.Now().Add(30 * time.Second); task.Status != "stopped" || updates.Load() == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("task %+v, %d updates\n%s", task, updates.Load(), hs.log())
		}
		r, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(r.Contents[0].Text), &task); err != nil {
			t.Fatal(err)
		}
	}
	if task.ExitStatus != "OK" {
		t.Errorf("task %+v", task)
	}
	if err := cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: uri}); err != nil {
		t.Error(err)
	}
}
