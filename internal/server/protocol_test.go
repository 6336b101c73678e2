package server

import (
	"context"
	"errors"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestRPCCodes(t *testing.T) {
	plain := func(err error) mcp.MethodHandler {
		return func(context.Context, string, mcp.Request) (mcp.Result, error) { return nil, err }
	}
	for _, c := range []struct {
		name, method string
		err          error
		want         int64
	}{
		{"second initialize", "initialize", errors.New(`duplicate "initialize" received`), jsonrpc.CodeInvalidRequest},
		{"plain error", "tools/list", errors.New("boom"), jsonrpc.CodeInternalError},
		{"coded error kept", "tools/call", &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "x"}, jsonrpc.CodeInvalidParams},
	} {
		_, err := rpcCodes(plain(c.err))(context.Background(), c.method, nil)
		var rpcErr *jsonrpc.Error
		if !errors.As(err, &rpcErr) || rpcErr.Code != c.want {
			t.Errorf("%s: got %v, want code %d", c.name, err, c.want)
		}
	}
	if _, err := rpcCodes(plain(nil))(context.Background(), "ping", nil); err != nil {
		t.Errorf("success turned into %v", err)
	}
	if _, err := rpcCodes(plain(context.Canceled))(context.Background(), "tools/call", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancellation: got %v", err)
	}
}
