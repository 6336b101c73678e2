package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const oauthAudience = "https://mcp.e2e.test/mcp"

// startOAuth runs the binary as an OAuth resource server for op, over
// home and lab, with a subject policy for the provider's service user
// and a group policy that keeps "ops" on lab.
func startOAuth(t *testing.T, op *testOP) (*httpServer, *cluster, *cluster) {
	t.Helper()
	home, lab := newCluster(t, 0.02), newCluster(t, 0.02)
	idH, secH := home.sim.DefaultToken()
	idL, secL := lab.sim.DefaultToken()
	path := filepath.Join(t.TempDir(), "clusters.toml")
	writeClusters(t, path, fmt.Sprintf(`default_cluster = "home"

[clusters.home]
host = %q
token_id = %q
token_secret_env = "HOME_SECRET"
read_only = false

[clusters.lab]
host = %q
token_id = %q
token_secret_env = "LAB_SECRET"

[[policy]]
subject = %q
clusters = ["home", "lab"]

[[policy]]
group = "ops"
clusters = ["lab"]
`, home.url, idH, lab.url, idL, serviceID))
	hs := startHTTP(t, home, map[string]string{"PVE_CONFIG_FILE": path, "HOME_SECRET": secH, "LAB_SECRET": secL,
		"PVE_MCP_HTTP_OAUTH_ISSUER": op.issuer, "PVE_MCP_HTTP_OAUTH_AUDIENCE": oauthAudience, "LOG_LEVEL": "debug"})
	return hs, home, lab
}

// TestOAuthScopes: a provider's tokens are admitted with what their
// scopes allow, in tools/list and in each call.
func TestOAuthScopes(t *testing.T) {
	op := startOP(t, oauthAudience, nil)
	hs, home, _ := startOAuth(t, op)

	reader := hs.openAs(t, op.token("pve:read"), `{}`)
	reader.ok("pve_list_vms", nil)
	reader.ok("pve_vm_status", m("node", "pve1", "vmid", 100, "cluster", "lab"))
	reader.fails("pve_vm_start", m("node", "pve1", "vmid", 101), "pve:write")
	listed := reader.listed()
	if _, ok := listed["pve_list_vms"]; !ok {
		t.Error("pve_list_vms is not listed for pve:read")
	}
	for name, ro := range listed {
		if !ro {
			t.Errorf("a pve:read token's tools/list offers the write tool %s", name)
		}
	}
	if w := home.writes(); len(w) > 0 {
		t.Fatalf("a pve:read token wrote: %v", w)
	}

	writer := hs.openAs(t, op.token("pve:write"), `{}`)
	if ro, ok := writer.listed()["pve_vm_start"]; !ok || ro {
		t.Error("pve_vm_start is not listed for pve:write")
	}
	writer.ok("pve_vm_start", m("node", "pve1", "vmid", 101))
	if len(home.writes()) == 0 {
		t.Fatal("the pve:write token's start reached no cluster")
	}
	if strings.Contains(hs.log(), op.token("pve:read")[:40]) {
		t.Error("an OAuth token reached the log")
	}
}

// TestOAuthRefusedTokens: tokens the server must not take get 401 (or
// 403 for too few scopes) with a challenge naming the metadata.
func TestOAuthRefusedTokens(t *testing.T) {
	op := startOP(t, oauthAudience, nil)
	other := startOP(t, oauthAudience, nil)
	hs, home, lab := startOAuth(t, op)
	now := time.Now().Unix()
	claims := func(k string, v any) map[string]any {
		c := map[string]any{"iss": op.issuer, "sub": "u1", "aud": oauthAudience, "exp": now + 300, "iat": now, "scope": "pve:read"}
		c[k] = v
		return c
	}
	op.setAudience("https://elsewhere.test/mcp")
	wrongAud := op.token("pve:read")
	op.setAudience(oauthAudience)
	b64 := base64.RawURLEncoding.EncodeToString
	unsignedClaims, _ := json.Marshal(claims("sub", "u1"))
	expired := claims("exp", now-600)
	expired["iat"] = now - 900

	// The same claims, well signed, are admitted: the cases below fail for
	// the one thing each changes.
	if status, ch, _ := hs.tryOpen(t, op.sign(claims("sub", "u1")), `{}`); status != 200 {
		t.Fatalf("a well-formed signed token: %d %s", status, ch)
	}
	h0, l0 := requestCount(home), requestCount(lab)
	for _, tc := range []struct {
		name, token string
		status      int
		challenge   string
	}{
		{"expired", op.sign(expired), 401, `error="invalid_token"`},
		{"wrong audience", wrongAud, 401, `error="invalid_token"`},
		{"wrong issuer", other.token("pve:read"), 401, `error="invalid_token"`},
		{"issuer claim forged", other.sign(claims("iss", op.issuer)), 401, `error="invalid_token"`},
		{"unsigned", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(unsignedClaims) + ".", 401, `error="invalid_token"`},
		{"no pve scope", op.token("openid"), 403, `error="insufficient_scope"`},
		{"no scope claim", op.sign(claims("scope", "")), 403, `error="insufficient_scope"`},
	} {
		status, ch, _ := hs.tryOpen(t, tc.token, `{}`)
		if status != tc.status || !strings.Contains(ch, tc.challenge) ||
			!strings.Contains(ch, `resource_metadata="`) || !strings.Contains(ch, "/.well-known/oauth-protected-resource") {
			t.Errorf("%s: %d %q, want %d with %s and resource_metadata", tc.name, status, ch, tc.status, tc.challenge)
		}
		if strings.Contains(ch, tc.token) {
			t.Errorf("%s: the challenge echoes the token", tc.name)
		}
	}
	if h, l := requestCount(home), requestCount(lab); h != h0 || l != l0 {
		t.Errorf("refused tokens reached a cluster: home +%d, lab +%d", h-h0, l-l0)
	}

	resp, err := http.Get(hs.base + "/.well-known/oauth-protected-resource")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var meta struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		ScopesSupported      []string `json:"scopes_supported"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &meta) != nil || len(meta.AuthorizationServers) != 1 ||
		meta.AuthorizationServers[0] != op.issuer || meta.Resource == "" || !strings.Contains(string(body), "pve:read") {
		t.Errorf("protected-resource metadata: %d %s", resp.StatusCode, body)
	}
}

// TestOAuthGroupPolicy: a token of group ops is held to lab, its
// policy's only cluster; the service user's subject policy is not.
func TestOAuthGroupPolicy(t *testing.T) {
	op := startOP(t, oauthAudience, nil)
	hs, home, lab := startOAuth(t, op)
	now := time.Now().Unix()
	tok := op.sign(map[string]any{"iss": op.issuer, "sub": "u-ops", "aud": oauthAudience, "exp": now + 300, "iat": now,
		"scope": "pve:read pve:write", "groups": []string{"ops"}})
	ops := hs.openAs(t, tok, `{}`)

	var list clusterListed
	if err := json.Unmarshal([]byte(ops.ok("pve_cluster_list", nil)), &list); err != nil {
		t.Fatal(err)
	}
	if list.Policy != "group:ops" || len(list.Clusters) != 1 || list.Clusters[0].Name != "lab" {
		t.Fatalf("ops' pve_cluster_list: %+v", list)
	}
	h0, l00 := requestCount(home), requestCount(lab)
	// Without a cluster, ops' calls go to the one cluster its policy allows.
	ops.ok("pve_list_vms", nil)
	if requestCount(lab) == l00 {
		t.Error("ops' list without a cluster did not go to lab")
	}
	ops.fails("pve_vm_start", m("node", "pve1", "vmid", 101, "cluster", "home"), "group:ops")
	if all := ops.ok("pve_list_vms", m("cluster", "all")); strings.Contains(all, `"cluster":"home"`) {
		t.Errorf(`ops' "all" holds home: %s`, all)
	}
	if requestCount(home) != h0 {
		t.Fatalf("the ops token reached home: %d requests", requestCount(home)-h0)
	}
	l0 := requestCount(lab)
	ops.ok("pve_list_vms", m("cluster", "lab"))
	if requestCount(lab) == l0 {
		t.Error("ops' list on lab reached no cluster")
	}
	// The service user (subject policy) still has both.
	var svc clusterListed
	if err := json.Unmarshal([]byte(hs.openAs(t, op.token("pve:read"), `{}`).ok("pve_cluster_list", nil)), &svc); err != nil {
		t.Fatal(err)
	}
	if svc.Policy != "subject:"+serviceID || len(svc.Clusters) != 2 {
		t.Errorf("the service user's pve_cluster_list: %+v", svc)
	}
}
