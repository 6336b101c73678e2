package principal

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/auth"
)

func TestFromTokenInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		ti   *auth.TokenInfo
		want Principal
	}{
		{"nil", nil, Principal{Kind: KindAnonymous}},
		{"empty", &auth.TokenInfo{}, Principal{Kind: KindAnonymous}},
		{"static token", &auth.TokenInfo{UserID: "alice"}, Principal{Kind: KindToken, Name: "alice"}},
		{"oauth", &auth.TokenInfo{UserID: "oauth:u1", Scopes: []string{"pve:read"}, Expiration: time.Now(),
			Extra: map[string]any{"kind": "oauth", "subject": "u1", "issuer": "https://idp", "groups": []string{"ops"}}},
			Principal{Kind: KindOAuth, Name: "u1", Groups: []string{"ops"}, Scopes: []string{"pve:read"}}},
		{"oauth without subject extra", &auth.TokenInfo{UserID: "oauth:u2", Extra: map[string]any{"kind": "oauth"}},
			Principal{Kind: KindOAuth, Name: "u2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, FromTokenInfo(tc.ti)); diff != "" {
				t.Errorf("FromTokenInfo (-want +got):\n%s", diff)
			}
		})
	}
	if got := Local("root"); got.Kind != KindLocal || got.Name != "root" {
		t.Errorf("Local: %+v", got)
	}
}

func TestScopeAllows(t *testing.T) {
	oauth := func(scopes ...string) Principal { return Principal{Kind: KindOAuth, Name: "u", Scopes: scopes} }
	for _, tc := range []struct {
		name             string
		p                Principal
		toolset, effect  string
		want             bool
		reasonMentioning string
	}{
		{"static token is full access", Principal{Kind: KindToken, Name: "a"}, "qemu", EffectDestructive, true, ""},
		{"local is full access", Local("root"), "qemu", EffectDestructive, true, ""},
		{"anonymous is full access", Principal{Kind: KindAnonymous}, "qemu", EffectWrite, true, ""},
		{"read with read", oauth(ScopeRead), "qemu", EffectRead, true, ""},
		{"write without write", oauth(ScopeRead), "qemu", EffectWrite, false, "pve:write"},
		{"write with write", oauth(ScopeWrite), "qemu", EffectWrite, true, ""},
		{"write covers read", oauth(ScopeWrite), "qemu", EffectRead, true, ""},
		{"destructive without it", oauth(ScopeRead, ScopeWrite), "qemu", EffectDestructive, false, "pve:destructive"},
		{"destructive covers all", oauth(ScopeDestructive), "lxc", EffectWrite, true, ""},
		{"no scope at all", oauth(), "qemu", EffectRead, false, "pve:read"},
		{"other scopes only", oauth("openid", "profile"), "qemu", EffectRead, false, "pve:read"},
		{"toolset allowed", oauth(ScopeRead, "pve:toolset:qemu"), "qemu", EffectRead, true, ""},
		{"toolset not allowed", oauth(ScopeRead, "pve:toolset:qemu"), "lxc", EffectRead, false, "pve:toolset:lxc"},
		{"toolset scope alone is not enough", oauth("pve:toolset:qemu"), "qemu", EffectRead, false, "pve:read"},
		{"unknown effect", oauth(ScopeDestructive), "qemu", "launch", false, "launch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, reason := tc.p.ScopeAllows(tc.toolset, tc.effect)
			if ok != tc.want {
				t.Fatalf("ScopeAllows(%q, %q) = %v (%s), want %v", tc.toolset, tc.effect, ok, reason, tc.want)
			}
			if ok && reason != "" {
				t.Errorf("allowed with a reason %q", reason)
			}
			if !ok && !strings.Contains(reason, tc.reasonMentioning) {
				t.Errorf("reason %q does not name %q", reason, tc.reasonMentioning)
			}
		})
	}
}

func TestHasAnyEffectScope(t *testing.T) {
	if HasAnyEffectScope([]string{"openid", "pve:toolset:qemu"}) {
		t.Error("toolset scope counted as an effect scope")
	}
	if !HasAnyEffectScope([]string{"openid", "pve:write"}) {
		t.Error("pve:write not counted")
	}
}
