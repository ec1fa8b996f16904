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

func TestNeedsDaemon(t *testing.T) {
	step := func(types ...string) *Step {
		st := &Step{}
		for _, ty := range types {
			st.Checks = append(st.Checks, Check{ID: ty, Type: ty})
		}
		return st
	}
	cases := []struct {
		step *Step
		want bool
	}{
		{step(), false},
		{step("dockerfile.stages", "dockerfile.secret-mount"), false},
		{step("answer.choice"), false},
		{step("dockerfile.stages", "leak.absent"), true},
		{step("image.fresh"), true},
		{step("container.log"), true},
		{step("trivy.report"), true},
	}
	verifying := &Step{Checks: []Check{{ID: "real", Type: "dockerfile.base", Spec: &DockerfileBase{Verify: true}}}}
	if !verifying.NeedsDaemon() {
		t.Error("dockerfile.base with verify: NeedsDaemon = false, want true (it asks the daemon about digests)")
	}
	for _, c := range cases {
		var types []string
		for _, ch := range c.step.Checks {
			types = append(types, ch.Type)
		}
		if got := c.step.NeedsDaemon(); got != c.want {
			t.Errorf("%v: NeedsDaemon = %v, want %v", types, got, c.want)
		}
	}
	// Every check type of the vocabulary is on one side or the other on
	// purpose: a new offline type must be named here.
	offline := map[string]bool{"dockerfile.parses": true, "dockerfile.base": true, "dockerfile.stages": true, "dockerfile.copies-from-stage": true,
		"dockerfile.secret-mount": true, "dockerfile.no-secret-args": true, "dockerfile.no-context-file": true, "answer.choice": true, "answer.value": true}
	for _, ct := range CheckTypes() {
		if got := step(ct.Name).NeedsDaemon(); got == offline[ct.Name] {
			t.Errorf("%s: NeedsDaemon = %v", ct.Name, got)
		}
	}
}
