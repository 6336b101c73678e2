package tools

import "testing"

// BenchmarkInventory measures building every tool definition (schemas included), a start-up cost.
func BenchmarkInventory(b *testing.B) {
	for b.Loop() {
		Inventory(&Deps{})
	}
}
