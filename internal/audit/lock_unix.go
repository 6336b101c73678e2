//go:build unix

package audit

import (
	"fmt"
	"os"
	"syscall"
)

// lockFile holds an exclusive lock on f until unlock: servers started per
// client session may share one log, and each append must see the last.
func lockFile(f *os.File) (unlock func(), err error) {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("flock: %w", err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
}
