package stdio

import (
	"errors"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

func TestWithCode(t *testing.T) {
	id, _ := jsonrpc.MakeID(float64(1))
	for _, c := range []struct {
		err  error
		want int64
	}{
		{errors.New(`method "tools/list" is invalid during session initialization`), jsonrpc.CodeInvalidRequest},
		{errors.New("something broke"), jsonrpc.CodeInternalError},
		{&jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "bad"}, jsonrpc.CodeInvalidParams},
	} {
		resp := &jsonrpc.Response{ID: id, Error: c.err}
		got := withCode(resp)
		var rpcErr *jsonrpc.Error
		if !errors.As(got.Error, &rpcErr) || rpcErr.Code != c.want || rpcErr.Message != c.err.Error() {
			t.Errorf("%v: got %v, want code %d", c.err, got.Error, c.want)
		}
		if resp.Error != c.err {
			t.Errorf("%v: the SDK's response was changed", c.err)
		}
	}
	ok := &jsonrpc.Response{ID: id}
	if withCode(ok) != ok {
		t.Error("a success was rewritten")
	}
}
