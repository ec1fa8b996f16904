package check

import (
	"reflect"
	"testing"

	"github.com/dockertutor/dockertutor/lessons"
)

// Every check type of the course format is evaluated here, by exactly one
// evaluator, and nothing else is.
func TestEveryCheckTypeHasOneEvaluator(t *testing.T) {
	types := lessons.CheckTypes()
	declared := map[reflect.Type]string{}
	for _, ct := range types {
		declared[reflect.TypeOf(ct.New())] = ct.Name
	}
	if len(declared) != len(types) {
		t.Fatalf("%d check types share %d spec types: each needs a spec type of its own", len(types), len(declared))
	}
	seen := map[reflect.Type]int{}
	for _, e := range evaluatorList {
		seen[e.spec]++
		if _, ok := declared[e.spec]; !ok {
			t.Errorf("an evaluator takes %s, which is no check type of lessons", e.spec)
		}
	}
	for typ, name := range declared {
		if n := seen[typ]; n != 1 {
			t.Errorf("check type %s (%s) has %d evaluators, want 1", name, typ, n)
		}
	}
}
