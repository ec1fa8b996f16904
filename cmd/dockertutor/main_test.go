package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/lessons"
)

// runCLI runs the command in-process with its own workspace and state.
type cli struct {
	t         *testing.T
	workspace string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return &cli{t: t, workspace: t.TempDir()}
}

func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	io := &IO{In: strings.NewReader(""), Out: &out, Err: &errb, Width: 80}
	code = run(context.Background(), io, append([]string{"--workspace", c.workspace}, args...))
	return out.String(), errb.String(), code
}

// fixture runs with the small test pack instead of the built-in course.
func (c *cli) fixture(args ...string) (stdout, stderr string, code int) {
	return c.run(append([]string{"--course", "testdata/pack"}, args...)...)
}

func fixtureCourse(t *testing.T) *lessons.Course {
	c, ps := lessons.FromDir("testdata/pack")
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c
}

func TestListJSONShowsEveryStep(t *testing.T) {
	c := newCLI(t)
	out, errs, code := c.run("list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var l listOutput
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	course, _ := lessons.Builtin()
	if l.Total != len(course.Steps()) || len(l.Lessons) != len(course.Lessons) {
		t.Fatalf("outline has %d steps in %d lessons", l.Total, len(l.Lessons))
	}
	for _, les := range l.Lessons {
		for _, st := range les.Steps {
			if st.Status != "not-started" || !strings.HasPrefix(st.Workdir, c.workspace) {
				t.Fatalf("step %+v", st)
			}
		}
	}
}

func TestShowEveryStepAtTwoWidths(t *testing.T) {
	c := newCLI(t)
	course, _ := lessons.Builtin()
	for _, st := range course.Steps() {
		for _, w := range []string{"60", "120"} {
			out, errs, code := c.run("show", st.ID, "--width", w)
			if code != 0 || !strings.Contains(out, st.Title) {
				t.Fatalf("show %s --width %s: exit %d, %s\n%s", st.ID, w, code, errs, out)
			}
			if strings.Contains(out, "{{") {
				t.Fatalf("show %s: unfilled template:\n%s", st.ID, out)
			}
		}
	}
}

func TestExitCodes(t *testing.T) {
	c := newCLI(t)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"show", "no-such-step"}, exitUsage, "no step"},
		{[]string{"list", "--bogus"}, exitUsage, "unknown flag"},
		{[]string{"nonsense"}, exitUsage, "unknown command"},
		{[]string{"reset"}, exitUsage, "name one step, or use --all"},
		{[]string{"course", "lint", "/does/not/exist"}, exitFail, "no such file"},
		{[]string{"--course", "/does/not/exist", "list"}, exitUsage, "no such file"},
	}
	for _, tc := range cases {
		out, errs, code := c.fixture(tc.args...)
		errs = out + errs
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.msg)
		}
	}
}

func TestHintsRevealOneAtATime(t *testing.T) {
	c := newCLI(t)
	st, _ := fixtureCourse(t).Step("fix")
	for i := 1; i <= len(st.Hints); i++ {
		out, _, code := c.fixture("hint", st.ID)
		if code != 0 || !strings.HasPrefix(out, "Hint "+itoa(i)+" of") {
			t.Fatalf("hint %d: %q", i, out)
		}
	}
	out, _, _ := c.fixture("hint", st.ID)
	if !strings.HasPrefix(out, "Hint 2 of 2") {
		t.Fatalf("past the last hint the last one repeats: %q", out)
	}
	out, _, _ = c.fixture("show", st.ID)
	if !strings.Contains(out, "Hints so far") || !strings.Contains(out, "It should read FROM.") {
		t.Fatal("revealed hints are not shown with the step")
	}
}

func TestAnswerSecretStep(t *testing.T) {
	c := newCLI(t)
	out, _, code := c.fixture("answer", "found", "not-it")
	if code != exitFail || !strings.Contains(out, "not the secret") {
		t.Fatalf("wrong answer: exit %d, %q", code, out)
	}
	secret := readSecret(t)
	out, _, code = c.fixture("answer", "found", "xx"+secret)
	if code != exitFail || !strings.Contains(out, "just the value") {
		t.Fatalf("answer with extra text: exit %d, %q", code, out)
	}
	out, _, code = c.fixture("answer", "found", "BUILD_REPO_SECRET="+secret)
	if code != 0 || !strings.Contains(out, "passed") {
		t.Fatalf("right answer: exit %d, %q", code, out)
	}
	js, _, _ := c.fixture("list", "--json")
	if !strings.Contains(js, `"status": "passed"`) {
		t.Fatalf("a right answer must be recorded: %s", js)
	}
}

func TestQuizAnswer(t *testing.T) {
	c := newCLI(t)
	out, _, code := c.fixture("answer", "pick", "a")
	if code != exitFail || !strings.Contains(out, "moves with every release") {
		t.Fatalf("wrong choice: exit %d, %q", code, out)
	}
	out, _, code = c.fixture("answer", "pick", "z")
	if code != exitFail || !strings.Contains(out, "not a choice") {
		t.Fatalf("unknown choice: exit %d, %q", code, out)
	}
	out, _, code = c.fixture("answer", "pick", "B")
	if code != 0 || !strings.Contains(out, "never moves") {
		t.Fatalf("right choice: exit %d, %q", code, out)
	}
	_, errs, code := c.fixture("answer", "fix", "a")
	if code != exitUsage || !strings.Contains(errs, "only quiz and answer steps") {
		t.Fatalf("answer to an exercise: exit %d, %q", code, errs)
	}
}

func TestResetRestoresStarterAndKeepsABackup(t *testing.T) {
	c := newCLI(t)
	course := fixtureCourse(t)
	st, _ := course.Step("fix")
	dir := filepath.Join(c.workspace, course.ID, st.Lesson.ID, st.ID)
	c.fixture("reset", st.ID) // lays out the starter files
	main := filepath.Join(dir, st.Main)
	orig, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(main, []byte("FROM mine\n"), 0o644)
	out, _, code := c.fixture("reset", st.ID, "--dry-run")
	if code != 0 || !strings.Contains(out, "Would reset") {
		t.Fatalf("dry run: %d %q", code, out)
	}
	if got, _ := os.ReadFile(main); string(got) != "FROM mine\n" {
		t.Fatal("dry run changed a file")
	}
	out, _, code = c.fixture("reset", st.ID)
	if got, _ := os.ReadFile(main); code != 0 || string(got) != string(orig) {
		t.Fatalf("reset: %d %q", code, got)
	}
	if !strings.Contains(out, "kept in") {
		t.Fatalf("reset must say where the old file is kept: %q", out)
	}
}

func TestCourseLintReportsFileLine(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "course.yaml"), []byte("format: 1\nid: x\ntitle: X\nlessons: [missing]\n"), 0o644)
	out, _, code := c.run("course", "lint", dir)
	if code != exitFail || !strings.Contains(out, dir+"/course.yaml:4: lesson folder \"missing\" does not exist") {
		t.Fatalf("exit %d, %q", code, out)
	}
	out, _, code = c.run("course", "lint", "../../lessons/course")
	if code != 0 || !strings.Contains(out, "no problems") {
		t.Fatalf("the built-in course must lint clean: %d %q", code, out)
	}
	out, _, code = c.run("course", "lint", "testdata/pack")
	if code != 0 || !strings.Contains(out, "no problems") {
		t.Fatalf("the fixture must lint clean: %d %q", code, out)
	}
}

func TestCorruptProgressIsAWarning(t *testing.T) {
	c := newCLI(t)
	c.fixture("list")
	files, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "dockertutor", "progress-*.json"))
	if len(files) != 1 {
		t.Fatalf("progress files %v", files)
	}
	os.WriteFile(files[0], []byte("\x00garbage"), 0o600)
	_, errs, code := c.fixture("list")
	if code != 0 || !strings.Contains(errs, "could not be read") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func readSecret(t *testing.T) string {
	files, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "dockertutor", "progress-*.json"))
	if len(files) != 1 {
		t.Fatalf("progress files %v", files)
	}
	data, _ := os.ReadFile(files[0])
	var p struct{ Secret string }
	json.Unmarshal(data, &p)
	return p.Secret
}

func itoa(i int) string { return string(rune('0' + i)) }
