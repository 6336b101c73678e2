package httpserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	protocolHeader = "Mcp-Protocol-Version"
	// sessionlessVersion is the first protocol version without sessions
	// (SEP-2575): no initialize, no resumable streams, no ping or
	// logging/setLevel. The SDK serves it only without sessions.
	sessionlessVersion = "2026-07-28"
	// latestSessionVersion is the newest version with the initialize
	// handshake, which a stateful server negotiates.
	latestSessionVersion = "2025-11-25"
)

// sessionVersions are the protocol versions a stateful server speaks
// (computed when asked: a stdio server never needs them).
func sessionVersions() []string {
	return slices.DeleteFunc(mcp.SupportedProtocolVersions(), func(v string) bool { return v >= sessionlessVersion })
}

// refuseDiscover answers server/discover on a stateful server. The SDK
// answers it with a success listing only the session versions, which
// mark3labs/mcp-go reads as agreement to 2026-07-28 and then sees every
// later request refused. The error the SDK gives every other 2026-07-28
// request here, UnsupportedProtocolVersion with the versions it supports,
// makes mcp-go and the go-sdk client alike fall back to initialize.
func refuseDiscover(w http.ResponseWriter, r *http.Request, msg message) {
	requested := msg.version()
	if requested == "" {
		requested = r.Header.Get(protocolHeader)
	}
	data, _ := json.Marshal(mcp.UnsupportedProtocolVersionData{Supported: sessionVersions(), Requested: requested})
	writeRPCErrorData(w, http.StatusBadRequest, msg.id, mcp.CodeUnsupportedProtocolVersion, fmt.Sprintf(
		"protocol version %q is not served with sessions; use initialize with one of %v, or run the server with --stateless",
		requested, sessionVersions()), data)
}

// asSessionRequest lets a stateless server answer ping and
// logging/setLevel sent with a 2026-07-28 header but without the _meta that
// version requires. The go-sdk client sends them so; 2026-07-28 dropped both
// methods, and the SDK refuses them for the missing _meta. Served as the
// 2025-11-25 requests they are, a ping is answered and a level is checked
// (it lasts, as every stateless setting, for that request only).
func asSessionRequest(r *http.Request, msg message) {
	if (msg.method == "ping" || msg.method == "logging/setLevel") && r.Header.Get(protocolHeader) >= sessionlessVersion &&
		msg.version() == "" {
		r.Header.Set(protocolHeader, latestSessionVersion)
	}
}
