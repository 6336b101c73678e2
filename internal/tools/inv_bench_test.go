package tools

import "testing"

// BenchmarkInventory measures building every tool, a start-up cost; schemas
// are built on use (see BenchmarkInventoryDefinitions).
func BenchmarkInventory(b *testing.B) {
	for b.Loop() {
		Inventory(&Deps{})
	}
}

// BenchmarkInventoryDefinitions builds every tool with its schemas, what
// "-toolsets all" costs at start-up.
func BenchmarkInventoryDefinitions(b *testing.B) {
	for b.Loop() {
		for _, t := range Inventory(&Deps{}) {
			t.Definition()
		}
	}
}
