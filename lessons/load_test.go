package lessons

import "testing"

func TestBuiltinCourseLoads(t *testing.T) {
	c, ps := Builtin()
	if len(ps) > 0 {
		t.Fatalf("the embedded course has problems:\n%s", ps.Error())
	}
	if len(c.Lessons) == 0 || len(c.Steps()) == 0 {
		t.Fatal("the embedded course has no steps")
	}
}
