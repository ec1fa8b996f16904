package present

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// testCourse is a course of three steps: a quiz, an exercise with a build
// and a Docker check, and a free answer.
func testCourse(t *testing.T) *lessons.Course {
	t.Helper()
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":    {Data: []byte("format: 1\nid: presenttest\ntitle: Test course\nimages: [{ref: alpine:3.22}]\nlessons: [l]\n")},
		"l/lesson.yaml":  {Data: []byte("title: Lesson\nsteps: [pick, build, find]\n")},
		"l/pick/step.md": {Data: []byte("---\ntitle: Pick one\nkind: quiz\nquiz:\n  choices:\n    - {id: a, text: 'alpine:3.22'}\n    - {id: b, text: 'alpine@sha256:…', correct: true, why: a digest never moves}\n---\nWhich never moves?\n")},
		"l/build/step.md": {Data: []byte("---\ntitle: Two stages\nkind: exercise\nmain: Dockerfile\nimage: dttest-present/app\n" +
			"hints: [Use two FROM lines., Copy from the first.]\n" +
			"action: {build: {}}\n" +
			"checks:\n  - {id: stages, type: dockerfile.stages, min: 2}\n  - {id: built, type: image.fresh}\n" +
			"attempts:\n  - {name: unbuilt, no-action: true, fails: [built]}\n  - {name: one-stage, fails: [stages]}\n---\nUse two stages in `{{.Workdir}}`.\n")},
		"l/build/starter/Dockerfile":            {Data: []byte("FROM alpine:3.22\n")},
		"l/build/solution/Dockerfile":           {Data: []byte("FROM alpine:3.22 AS build\nFROM alpine:3.22\n")},
		"l/build/attempts/one-stage/Dockerfile": {Data: []byte("FROM alpine:3.22\n")},
		"l/find/step.md":                        {Data: []byte("---\ntitle: Find it\nkind: answer\nanswer: {expect: secret}\n---\nWhat was the secret?\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c
}

func TestStatusMarksAreDistinctAndNamed(t *testing.T) {
	glyphs, words := map[string]bool{}, map[string]bool{}
	for _, s := range []progress.Status{progress.Passed, progress.Failed, progress.Started, ""} {
		m := StatusMark(s)
		if m.Glyph == "" || m.Word == "" || glyphs[m.Glyph] || words[m.Word] {
			t.Errorf("status %q: mark %+v is empty or not its own", s, m)
		}
		glyphs[m.Glyph], words[m.Word] = true, true
		if len(m.Word) > StatusWordWidth {
			t.Errorf("status word %q is wider than StatusWordWidth %d", m.Word, StatusWordWidth)
		}
	}
	if got := StatusMark("").Glyph; got != "○" {
		t.Errorf("a step not started shows %q, want ○ in every front end", got)
	}
}

func TestDockerMarksFollowTheDaemon(t *testing.T) {
	for _, c := range []struct {
		name   string
		status tutor.DockerStatus
		known  bool
		want   Mark
	}{
		{"not heard back yet", tutor.DockerStatus{}, false, Mark{Glyph: "◌", Word: "asking", Role: RoleText}},
		{"answers", tutor.DockerStatus{Reachable: true}, true, Mark{Glyph: "●", Word: "answers", Role: RolePassed}},
		{"does not answer", tutor.DockerStatus{}, true, Mark{Glyph: "✗", Word: "unreachable", Role: RoleProblem}},
	} {
		if got := DockerMark(c.status, c.known); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestOutcomeMarkPrefixes(t *testing.T) {
	for _, c := range []struct {
		o            check.Outcome
		glyph, words string
	}{
		{check.Pass, "✓ ", "PASS: "},
		{check.Fail, "✗ ", "FAIL: "},
		{check.Error, "! ", "ERROR: "},
		{check.Outcome("new"), "! ", "ERROR: "},
	} {
		m := OutcomeMark(c.o)
		if m.Prefix(false) != c.glyph || m.Prefix(true) != c.words {
			t.Errorf("%s: prefixes %q and %q, want %q and %q", c.o, m.Prefix(false), m.Prefix(true), c.glyph, c.words)
		}
	}
}

func TestLayOutAFailingVerdict(t *testing.T) {
	v := check.Verdict{Step: "build", Results: []check.Result{
		{ID: "stages", Outcome: check.Fail, Message: "The Dockerfile has 1 stage; it needs at least 2.",
			Evidence: []check.Evidence{{Where: "Dockerfile:1", Detail: "FROM alpine:3.22"}}},
		{ID: "built", Outcome: check.Pass, Message: "The image exists."},
	}}
	lv := LayOut(v, FullScreen)
	if lv.Summary.Text != "Not yet: 1 of 2 checks did not pass." || lv.Summary.Role != RoleFailed {
		t.Errorf("summary %+v", lv.Summary)
	}
	if lv.SummaryMark == nil || lv.SummaryMark.Glyph != "✗" || lv.Next != "" || lv.Unreachable {
		t.Errorf("layout %+v", lv)
	}
	if len(lv.Checks) != 2 || lv.Checks[0].Mark.Word != "FAIL" || lv.Checks[1].Mark.Word != "PASS" {
		t.Fatalf("checks %+v", lv.Checks)
	}
	if got := lv.Checks[0].Evidence[0].String(); got != "Dockerfile:1: FROM alpine:3.22" {
		t.Errorf("evidence line %q", got)
	}
	if Word(v) != "not passed yet" {
		t.Errorf("word %q", Word(v))
	}
}

// TestLayOutPutsFailingChecksFirst: a learner reads what is left to do
// first; the step's order holds within each kind.
func TestLayOutPutsFailingChecksFirst(t *testing.T) {
	v := check.Verdict{Step: "build", Results: []check.Result{
		{ID: "built", Outcome: check.Pass},
		{ID: "scan", Outcome: check.Error},
		{ID: "stages", Outcome: check.Fail},
		{ID: "fresh", Outcome: check.Pass},
		{ID: "leak", Outcome: check.Fail},
	}}
	var ids []string
	for _, c := range LayOut(v, PlainMode).Checks {
		ids = append(ids, c.ID)
	}
	if got, want := strings.Join(ids, " "), "stages leak scan built fresh"; got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
	if v.Results[0].ID != "built" {
		t.Fatal("the verdict itself was reordered")
	}
}

// TestLayOutShowsMessagesWithoutMarkup: a check's message may quote a
// command in backticks; the screen shows the command, not the backticks.
func TestLayOutShowsMessagesWithoutMarkup(t *testing.T) {
	v := check.Verdict{Step: "pin", Results: []check.Result{{ID: "digest", Outcome: check.Fail,
		Message: "Copy it from `docker images --digests alpine` (the **repository** digest)."}}}
	if got, want := LayOut(v, FullScreen).Checks[0].Text, "Copy it from docker images --digests alpine (the repository digest)."; got != want {
		t.Fatalf("text %q, want %q", got, want)
	}
}

func TestLayOutAPassSaysWhatNextInEachFrontEnd(t *testing.T) {
	v := check.Verdict{Step: "build", Passed: true, Results: []check.Result{{ID: "built", Outcome: check.Pass, Message: "The image exists."}}}
	for f, next := range map[Front]string{FullScreen: "Press n for the next step.", PlainMode: "Type n for the next step.", CommandLine: ""} {
		lv := LayOut(v, f)
		if lv.Summary.Text != "Step passed." || lv.Next != next || lv.SummaryMark == nil || lv.SummaryMark.Glyph != "✓" {
			t.Errorf("front %d: %+v", f, lv)
		}
	}
	if Word(v) != "passed" {
		t.Errorf("word %q", Word(v))
	}
}

// Every check that needed Docker says the same when it is away: the
// layout says it once and names the checks it stopped.
func TestLayOutWhenDockerIsAway(t *testing.T) {
	c := testCourse(t)
	st, _ := c.Step("build")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM alpine:3.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := check.Run(context.Background(), check.Env{Step: st, Values: lessons.Values{Workdir: dir, Image: "dttest-present/app"},
		DockerErr: errors.New("nothing listens on /var/run/docker.sock")})
	if !v.Unreachable() {
		t.Fatalf("the verdict does not say Docker was away: %+v", v)
	}
	lv := LayOut(v, PlainMode)
	if !lv.Unreachable || lv.SummaryMark != nil || lv.Summary.Role != RoleErrored {
		t.Errorf("layout %+v", lv)
	}
	if lv.Summary.Text != "Docker did not answer, so nothing was checked or recorded." || lv.NotChecked != "Not checked: built." {
		t.Errorf("summary %q, not checked %q", lv.Summary.Text, lv.NotChecked)
	}
	if !strings.Contains(lv.DockerError, "nothing listens") {
		t.Errorf("docker error %q", lv.DockerError)
	}
	if len(lv.Checks) != 1 || lv.Checks[0].Mark.Word != "FAIL" {
		t.Errorf("the Dockerfile check, which needs no daemon, should stay: %+v", lv.Checks)
	}
	if Word(v) != "Docker did not answer" {
		t.Errorf("word %q", Word(v))
	}
}

func TestCheckFailed(t *testing.T) {
	if got := CheckFailed(errors.New("disk full"), FullScreen); got != "The check could not run: disk full" {
		t.Errorf("%q", got)
	}
	if got := CheckFailed(context.Canceled, PlainMode); got != "The check was aborted: nothing was recorded. Type c to check again." {
		t.Errorf("%q", got)
	}
}

func TestEventLines(t *testing.T) {
	for _, c := range []struct {
		ev   tutor.Event
		want []Line
	}{
		{tutor.Event{Kind: tutor.EventCommand, Text: "docker build ."}, []Line{{"$ docker build .", RoleCommand}}},
		{tutor.Event{Kind: tutor.EventCommand}, nil},
		{tutor.Event{Kind: tutor.EventWarning, Text: "one\ntwo\n"}, []Line{{"warning: one", RoleWarning}, {"warning: two", RoleWarning}}},
		{tutor.Event{Kind: tutor.EventError, Text: "no space left"}, []Line{{"error: no space left", RoleProblem}}},
		{tutor.Event{Kind: tutor.EventStep, Text: "[1/2] FROM alpine"}, []Line{{"[1/2] FROM alpine", RoleHeading}}},
		{tutor.Event{Kind: tutor.EventOutput, Text: "hello"}, []Line{{"hello", RoleText}}},
		{tutor.Event{Kind: tutor.EventDone, Text: "Built x"}, []Line{{"Built x", RoleDone}}},
	} {
		got := EventLines(c.ev)
		if len(got) != len(c.want) {
			t.Errorf("%+v: %+v, want %+v", c.ev, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%+v: line %d is %+v, want %+v", c.ev, i, got[i], c.want[i])
			}
		}
	}
}

func TestActionEnd(t *testing.T) {
	if _, ok := ActionEnd("run", nil, false); ok {
		t.Error("a run that went well needs no last line")
	}
	if l, ok := ActionEnd("run", context.Canceled, true); !ok || l.Text != "The run was aborted." {
		t.Errorf("aborted: %+v %v", l, ok)
	}
	if _, ok := ActionEnd("run", errors.New("exit 1"), true); ok {
		t.Error("a failure the events explained is not said again")
	}
	if l, ok := ActionEnd("solution", errors.New("exit 1"), false); !ok || l.Text != "The solution failed: exit 1" || l.Role != RoleProblem {
		t.Errorf("failed: %+v %v", l, ok)
	}
}

func TestStepDocInEachFrontEnd(t *testing.T) {
	c := testCourse(t)
	build, _ := c.Step("build")
	page := NewStepPage(build, lessons.Values{Workdir: "/ws/l/build"}, []string{"Use two FROM lines."}, "docker build -t dttest-present/app /ws/l/build")
	keys := StepDoc(page, progress.Progress{}, true, FullScreen)
	containsAll(t, "the full screen's document", keys, "# 1.2 Two stages\n\nUse two stages in `/ws/l/build`.",
		"**Your folder:** `/ws/l/build`",
		"Press **r** to run, or type it yourself:\n\n```sh\ndocker build -t dttest-present/app /ws/l/build\n```\n",
		"## Hints\n\n1. Use two FROM lines.\n\n1 hint more: press **h**.",
		"This is the last step. Press **n** for a summary of the course.")
	if plain := StepDoc(page, progress.Progress{}, true, PlainMode); plain != keys {
		t.Errorf("plain mode has the full screen's keys, so the same document:\n%s", plain)
	}
	cli := StepDoc(page, progress.Progress{}, false, CommandLine)
	containsAll(t, "the command line's document", cli, "Run `dockertutor run build`, or type it yourself:", "1 hint more: `dockertutor hint build`.")
	if strings.Contains(cli, "Press") {
		t.Errorf("the command line has no keys to press:\n%s", cli)
	}

	pick, _ := c.Step("pick")
	p := progress.Progress{Steps: map[string]*progress.StepProgress{"pick": {Answer: []string{"b"}}}}
	quiz := StepDoc(NewStepPage(pick, lessons.Values{}, nil, ""), p, false, CommandLine)
	containsAll(t, "the quiz", quiz, "- **a** alpine:3.22\n", "Run `dockertutor answer pick` with the letter of your choice.", "Your answer: **b**")
}

func TestStepDocSaysWhenTheTextCannotBeFilledIn(t *testing.T) {
	c := testCourse(t)
	st, _ := c.Step("find")
	page := StepPage{Step: st, TextErr: errors.New("no secret yet")}
	if doc := StepDoc(page, progress.Progress{}, false, FullScreen); !strings.Contains(doc, "This step's text could not be filled in: no secret yet") {
		t.Errorf("document:\n%s", doc)
	}
}

func TestWelcomeListsOnlyTheKeysAFrontEndHas(t *testing.T) {
	c := testCourse(t)
	w := Welcome{Course: c, Workspace: "/ws", Docker: tutor.DockerStatus{Endpoint: "unix:///x.sock", Problem: "Nothing listens.", Fix: "Start it."}, DockerKnown: true,
		First: c.Steps()[0], Keys: Keys{Next: "n", Prev: "p", Edit: "e", Shell: "t", Help: "?", Quit: "q"}}
	doc := WelcomeDoc(w, PlainMode)
	containsAll(t, "welcome", doc, "# Welcome to Test course", "3 steps in 1 lesson.", "- **n / p** next and previous step", "- **?** every command", "- **q** quit",
		"**does not answer** at `unix:///x.sock`.", "**To fix it:** Start it.", "Type **w** and the tutor watches")
	for _, absent := range []string{"scroll", "panes", "Press **enter**"} {
		if strings.Contains(doc, absent) {
			t.Errorf("the plain mode's welcome has %q:\n%s", absent, doc)
		}
	}
}

func TestSummaryMarksEachStep(t *testing.T) {
	c := testCourse(t)
	p := progress.Progress{Steps: map[string]*progress.StepProgress{}}
	p.Record("pick", true, p.Created)
	full := SummaryDoc(c, p, FullScreen)
	plain := SummaryDoc(c, p, PlainMode)
	if !strings.Contains(full, "- ✓ 1.1 Pick one\n") || !strings.Contains(full, "- ○ 1.2 Two stages\n") {
		t.Errorf("the full screen's summary:\n%s", full)
	}
	if !strings.Contains(plain, "- passed: 1.1 Pick one\n") || !strings.Contains(plain, "- not started: 1.2 Two stages\n") {
		t.Errorf("the plain summary reads the status out:\n%s", plain)
	}
	if !strings.Contains(full, "Still to do: 1.2, 1.3.") {
		t.Errorf("summary:\n%s", full)
	}
}

func TestFenceOutgrowsTheBackticksInside(t *testing.T) {
	if got := fence("echo ```", "sh"); got != "````sh\necho ```\n````\n" {
		t.Errorf("%q", got)
	}
}

// containsAll fails the test for each of wants that doc lacks.
func containsAll(t *testing.T, what, doc string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(doc, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, doc)
		}
	}
}

func TestStatusLegendNamesEveryGlyph(t *testing.T) {
	if got, want := StatusLegend(), "✓ passed  ↷ skipped  ✗ not passed yet  • started  ○ not started"; got != want {
		t.Errorf("legend %q, want %q", got, want)
	}
}

func TestArrival(t *testing.T) {
	passed := check.Verdict{Passed: true, Results: []check.Result{{ID: "a", Outcome: check.Pass}}}
	if got, role := Arrival(passed, false, "1.2", false, FullScreen); got != "Step 1.2 passed! Press n for the next step." || role != RolePassed {
		t.Errorf("new pass: %q %v", got, role)
	}
	if got, _ := Arrival(passed, false, "5.7", true, FullScreen); got != "Step 5.7 passed! Press n for the course summary." {
		t.Errorf("last step: %q", got)
	}
	if got, _ := Arrival(passed, true, "1.2", false, FullScreen); got != "" {
		t.Errorf("a pass again needs no line: %q", got)
	}
	failed := check.Verdict{Results: []check.Result{{ID: "a", Outcome: check.Fail}}}
	if got, _ := Arrival(failed, false, "1.2", false, FullScreen); got != "" {
		t.Errorf("a failure is shown in the results, not flashed: %q", got)
	}
}

func TestTimeOnStep(t *testing.T) {
	for seconds, want := range map[int64]string{0: "<1 min", 59: "<1 min", 60: "1 min", 3599: "59 min", 3600: "1 h 00", 3900: "1 h 05", 90000: "25 h 00"} {
		if got := TimeOnStep(seconds); got != want {
			t.Errorf("TimeOnStep(%d) = %q, want %q", seconds, got, want)
		}
	}
}
