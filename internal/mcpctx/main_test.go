package mcpctx_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no watcher outlives its sessions.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
