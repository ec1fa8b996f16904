package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/report"
)

// runCLI runs the command in-process with its own workspace, state and
// namespace: what it builds, runs and removes on a daemon is its own.
type cli struct {
	t         *testing.T
	workspace string
	ns        lessons.Namespace
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ns := dockertest.Namespace(t)
	t.Setenv(tutor.NamespaceEnv, ns.String())
	return &cli{t: t, workspace: t.TempDir(), ns: ns}
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
	var l report.List
	if err := report.Read(strings.NewReader(out), &l); err != nil {
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
			// Docker's own --format templates may appear; the tutor's
			// values must all be filled.
			for _, v := range []string{"{{.Secret", "{{.Workdir", "{{.Workspace", "{{.Image", "{{.Step", "{{.Course"} {
				if strings.Contains(out, v) {
					t.Fatalf("show %s: unfilled %s}}:\n%s", st.ID, v, out)
				}
			}
		}
	}
}

func TestExitCodes(t *testing.T) {
	c := newCLI(t)
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "course.yaml"), []byte("format: 1\nid: x\ntitle: X\nlessons: [missing]\n"), 0o644)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"show", "no-such-step"}, exitUsage, "no step"},
		{[]string{"list", "--bogus"}, exitUsage, "unknown flag"},
		{[]string{"nonsense"}, exitUsage, "unknown command"},
		{[]string{"reset"}, exitUsage, "name one step, or use --all"},
		{[]string{"lsit"}, exitUsage, "Did you mean this?\n\tlist"},
		{[]string{"course", "bogus"}, exitUsage, `unknown command "bogus" for "dockertutor course"`},
		{[]string{"show"}, exitUsage, "accepts 1 arg(s), received 0"},
		{[]string{"list", "extra"}, exitUsage, `unknown command "extra" for "dockertutor list"`},
		{[]string{"answer", "pick"}, exitUsage, "requires at least 2 arg(s)"},
		{[]string{"show", "fix", "--width", "wide"}, exitUsage, "invalid argument"},
		{[]string{"check", "--json=maybe"}, exitUsage, "invalid argument"},
		{[]string{"check", "fix", "--all"}, exitUsage, "not both"},
		{[]string{"hint", "build"}, exitUsage, "has no hints"},
		// A pack that is not there is a usage error wherever it is named;
		// a pack with problems is a failure wherever it is opened.
		{[]string{"course", "lint", "/does/not/exist"}, exitUsage, "no such file"},
		{[]string{"course", "prove", "/does/not/exist"}, exitUsage, "no such file"},
		{[]string{"--course", "/does/not/exist", "list"}, exitUsage, "no such file"},
		{[]string{"--course", "main.go", "list"}, exitUsage, "not a folder"},
		{[]string{"course", "lint", broken}, exitFail, `lesson folder "missing" does not exist`},
		{[]string{"course", "prove", broken}, exitFail, "fix the lint problems first"},
		{[]string{"--course", broken, "list"}, exitFail, `lesson folder "missing" does not exist`},
	}
	for _, tc := range cases {
		var out, errs string
		var code int
		if len(tc.args) > 0 && tc.args[0] == "--course" {
			out, errs, code = c.run(tc.args...)
		} else {
			out, errs, code = c.fixture(tc.args...)
		}
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
	if !strings.Contains(out, "Hints") || !strings.Contains(out, "It should read FROM.") {
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
	// answer reads progress three times (the answer, the check, the
	// record); the learner hears of the file once, when the session opens.
	_, errs, code := c.fixture("answer", "found", "not-it")
	if code != exitFail || strings.Count(errs, "could not be read") != 1 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if _, errs, _ = c.fixture("list"); errs != "" {
		t.Fatalf("the fresh file must read cleanly: %q", errs)
	}
	// The tutor tells it on its first screen instead (plain here: not a terminal).
	os.WriteFile(files[0], []byte("\x00garbage"), 0o600)
	out, errs, code := c.fixture()
	if code != 0 || strings.Count(out, "could not be read") != 1 || errs != "" {
		t.Fatalf("tutor: exit %d, stdout %q, stderr %q", code, out, errs)
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

func TestUnreachableDockerExits3Fast(t *testing.T) {
	c := newCLI(t)
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-daemon.sock"))
	t.Setenv("DOCKER_CONTEXT", "")
	t.Setenv("SCAN_SECRET", "canary-abcdefgh")
	for _, args := range [][]string{
		{"run", "build"}, {"check", "build"}, {"doctor"}, {"prepare"}, {"scan", "alpine:3.22", "--secret-env", "SCAN_SECRET"},
	} {
		start := time.Now()
		out, errs, code := c.fixture(args...)
		took := time.Since(start)
		if code != exitUnreachable {
			t.Errorf("%v: exit %d, want 3\n%s%s", args, code, out, errs)
		}
		if took > 2*time.Second {
			t.Errorf("%v took %s: an unreachable daemon must be answered within 2 s", args, took)
		}
		if !strings.Contains(strings.ToLower(out+errs), "docker") {
			t.Errorf("%v: the message must say Docker is the problem: %s%s", args, out, errs)
		}
	}
}

func TestRunCheckResetOnTheDaemon(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	c := newCLI(t)
	app := c.ns.Image("dttest-cli/app")
	out, errs, code := c.fixture("run", "build")
	if code != 0 || !strings.Contains(out, "$ docker build") || !strings.Contains(out, "Built "+app) {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	out, _, code = c.fixture("check", "build", "--json")
	var res struct {
		Steps []struct {
			Passed bool
			Checks []struct{ ID, Outcome, Message string }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.Steps[0].Passed {
		t.Fatalf("check --json: exit %d, %v\n%s", code, err, out)
	}
	out, _, code = c.fixture("reset", "build", "--dry-run")
	if code != 0 || !strings.Contains(out, "remove  image "+app) {
		t.Fatalf("reset --dry-run: exit %d\n%s", code, out)
	}
	out, _, code = c.fixture("reset", "build")
	if code != 0 || !strings.Contains(out, "removed image "+app) {
		t.Fatalf("reset: exit %d\n%s", code, out)
	}
	out, _, code = c.fixture("check", "build")
	if code != exitFail || !strings.Contains(out, "There is no image "+app) {
		t.Fatalf("check after reset: exit %d\n%s", code, out)
	}
}

func TestScanCommand(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	ctx := context.Background()
	secret := "canary-scan-7q2m9x4k"
	build := func(tag, dockerfile string) {
		tr, _ := dockertest.TarFiles(map[string][]byte{"Dockerfile": []byte(dockerfile)})
		res, err := cli.ImageBuild(ctx, tr, client.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		t.Cleanup(func() { cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true}) })
	}
	build("dttest-cli/leaky", "FROM alpine:3.22\nRUN echo "+secret+" > /tmp/t && rm /tmp/t\nRUN echo "+secret+" > /kept\n")
	build("dttest-cli/clean", "FROM alpine:3.22\nRUN echo nothing > /kept\n")

	c := newCLI(t)
	t.Setenv("SCAN_SECRET", secret)
	out, errs, code := c.run("scan", "dttest-cli/leaky", "--secret-env", "SCAN_SECRET")
	if code != exitFail || !strings.Contains(out, "/kept") {
		t.Fatalf("leaky: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out+errs, secret) {
		t.Fatalf("the secret was printed in full:\n%s", out)
	}
	out, _, code = c.run("scan", "dttest-cli/clean", "--secret-env", "SCAN_SECRET")
	if code != 0 || !strings.Contains(out, "nowhere") {
		t.Fatalf("clean: exit %d\n%s", code, out)
	}
	var l bytes.Buffer
	l.WriteString(secret + "\n")
	io2 := &IO{In: &l, Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Width: 80}
	if code := run(ctx, io2, []string{"scan", "dttest-cli/leaky", "--secret-stdin", "--json"}); code != exitFail {
		t.Fatalf("stdin: exit %d", code)
	}
	var rep struct{ Findings []json.RawMessage }
	if err := json.Unmarshal(io2.Out.(*bytes.Buffer).Bytes(), &rep); err != nil || len(rep.Findings) == 0 {
		t.Fatalf("json: %v %s", err, io2.Out)
	}
	_, errs, code = c.run("scan", "dttest-cli/leaky")
	if code != exitUsage || !strings.Contains(errs, "exactly one of") {
		t.Fatalf("no secret source: exit %d %s", code, errs)
	}
}
