package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/tutor"
)

func TestExitCodeOfEachKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"plain error", errors.New("disk full"), exitFail},
		{"failed, already shown", failed(""), exitFail},
		{"usage, wrapped", fmt.Errorf("step x: %w", usageErrorf("no step %q", "x")), exitUsage},
		{"the session's usage error", &tutor.UsageError{Msg: "step x has no hints"}, exitUsage},
		{"unreachable, wrapped by the session", fmt.Errorf("build: %w: dial unix", tutor.ErrUnreachable), exitUnreachable},
		{"unreachable, explained", unreachable("Docker is not running"), exitUnreachable},
		{"interrupted", fmt.Errorf("check aborted: %w", context.Canceled), exitInterrupted},
		{"interrupted while unreachable", fmt.Errorf("%w: %w", tutor.ErrUnreachable, context.Canceled), exitInterrupted},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestVerdictsErrorRanksUnreachableOverFailed(t *testing.T) {
	pass := check.Verdict{Passed: true}
	fail := check.Verdict{Results: []check.Result{{Outcome: check.Fail}}}
	// An unreachable verdict as the session makes one: a step that needs
	// the daemon, checked without it.
	build, _ := fixtureCourse(t).Step("build")
	gone := check.Run(context.Background(), check.Env{Step: build, DockerErr: errors.New("dial unix: no such file")})
	if !gone.Unreachable() {
		t.Fatalf("the fixture's build step checked without Docker must be unreachable: %+v", gone)
	}
	for _, tc := range []struct {
		vs   []check.Verdict
		want int
	}{
		{[]check.Verdict{pass, pass}, exitOK},
		{[]check.Verdict{pass, fail}, exitFail},
		{[]check.Verdict{fail, gone, pass}, exitUnreachable},
		{[]check.Verdict{gone, fail}, exitUnreachable},
	} {
		err := verdictsError(tc.vs...)
		if got := exitCode(err); got != tc.want {
			t.Errorf("%d verdicts: exit %d, want %d", len(tc.vs), got, tc.want)
		}
		if err != nil && err.Error() != "" {
			t.Errorf("the verdicts were printed already; the error must add nothing: %q", err)
		}
	}
}
