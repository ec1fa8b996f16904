package lessons

import "testing"

// BenchmarkBuiltin loads and validates the embedded course, which every
// command does at start.
func BenchmarkBuiltin(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, ps := Builtin(); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}
