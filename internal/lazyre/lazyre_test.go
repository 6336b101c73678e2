package lazyre

import (
	"sync"
	"testing"
)

func TestCompilesOnFirstUse(t *testing.T) {
	bad := New(`(`) // would panic at start-up with regexp.MustCompile
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on first use of a bad expression")
		}
	}()
	r := New(`^vm-(\d+)-(?P<name>\S+)$`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !r.MatchString("vm-100-disk-0") || r.MatchString("ct-100") {
				t.Error("wrong match")
			}
		})
	}
	wg.Wait()
	if m := r.FindStringSubmatch("vm-7-x"); len(m) != 3 || m[1] != "7" || m[r.SubexpIndex("name")] != "x" {
		t.Fatalf("submatch %q", m)
	}
	first, again := r.Compiled(), r.Compiled()
	if first != again || r.String() != `^vm-(\d+)-(?P<name>\S+)$` {
		t.Fatal("compiled more than once or lost the expression")
	}
	bad.MatchString("x")
}
