package server_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

func TestSetLevelValidated(t *testing.T) {
	t.Parallel()
	cl := simtest.Start(t, simtest.Options{})
	var logs simtest.Buffer
	logger := simtest.Logger(&logs, slog.LevelWarn)
	// The deprecated logging feature exists only up to 2025-11-25.
	cs := simtest.Session(t, cl.Config(t, nil), cl.Client(t, pve.Options{Logger: logger}), logger,
		simtest.SessionOptions{Session: &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"}})
	ctx := context.Background()
	//lint:ignore SA1019 older clients send it
	if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "warning"}); err != nil {
		t.Fatalf("valid level refused: %v", err)
	}
	//lint:ignore SA1019 older clients send it
	err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "loud"})
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != jsonrpc.CodeInvalidParams {
		t.Fatalf("invalid level: got %v", err)
	}
}
