package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// TestSolveAllGoesOnPastAFailure: a step whose solution fails to build
// does not stop solve --all; the steps after it are solved and checked,
// and the summary names the one that did not pass.
func TestSolveAllGoesOnPastAFailure(t *testing.T) {
	dockertest.Client(t)
	pack := t.TempDir()
	if err := os.CopyFS(pack, os.DirFS("testdata/pack")); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(pack, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The build step first, with a solution whose build fails.
	write("one/lesson.yaml", "title: One\nsteps: [build, fix, found, pick]\n")
	if err := os.MkdirAll(filepath.Join(pack, "one/build/solution"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("one/build/solution/Dockerfile", "FROM alpine:3.22\nRUN exit 3\n")

	c := newCLI(t)
	t.Cleanup(func() { c.run("--course", pack, "reset", "--all") })
	out, errs, code := c.run("--course", pack, "solve", "--all")
	if code != exitFail {
		t.Fatalf("solve --all: exit %d, want %d\n%s%s", code, exitFail, out, errs)
	}
	for _, step := range []string{"== 1.1 Build the app", "== 1.2 Fix the Dockerfile", "== 1.4 "} {
		if !strings.Contains(out, step) {
			t.Errorf("solve --all did not go on to %q:\n%s", step, out)
		}
	}
	const summary = "1 of 4 steps did not pass with their reference solutions:\n  1.1 Build the app\n"
	if !strings.HasSuffix(out, summary) {
		t.Errorf("the summary is not last, or names other steps; want\n%s\ngot:\n%s", summary, out)
	}

	// Mended, everything passes, and the summary says so.
	write("one/build/solution/Dockerfile", "FROM alpine:3.22\nRUN echo built > /built\n")
	out, errs, code = c.run("--course", pack, "solve", "--all")
	if code != exitOK || !strings.HasSuffix(out, "All 4 steps passed with their reference solutions.\n") {
		t.Fatalf("solve --all after the mend: exit %d\n%s%s", code, out, errs)
	}
}
