package tui

import (
	"context"
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
	"github.com/dockertutor/dockertutor/tui/markdown"
)

// stepIndex is the index of a fixture step by id.
func stepIndex(t *testing.T, h *harness, id string) int {
	t.Helper()
	for i, s := range h.m.steps {
		if s.ID == id {
			return i
		}
	}
	t.Fatalf("no step %s", id)
	return -1
}

// goTo opens a step by searching for its id, as a learner would.
func (h *harness) goTo(id string) {
	h.t.Helper()
	h.press("/")
	h.typeText(id)
	h.press("enter")
	if st := h.m.step(); st == nil || st.ID != id {
		h.t.Fatalf("search for %q opened %v", id, st)
	}
}

func helpText(h *harness) string { return ansi.Strip(h.m.helpBar()) }

// outputAt is the output pane's text wrapped at any width, to read long
// lines whole.
func outputAt(o outputPane, st Styles, placeholder string, width int) string {
	o.invalidate()
	o.wrappedW = width
	for _, ev := range o.lines {
		o.wrapped = append(o.wrapped, eventLines(st, ev, width))
	}
	return strings.Join(o.contentLines(st, placeholder, width), "\n")
}

func TestFirstRunShowsWelcomeThenTheFirstStep(t *testing.T) {
	b := fixture.Session(t)
	h := newHarness(t, b, 80, 24)
	if h.m.page != pageWelcome {
		t.Fatalf("first run: page %v, want the welcome", h.m.page)
	}
	doc := h.m.text.doc
	endpoint := b.DockerStatus(context.Background()).Endpoint
	for _, want := range []string{b.Work.Root, "answers at `" + endpoint + "`", "Engine 28.5.1", "next and previous step", "Press **enter**"} {
		if !strings.Contains(doc, want) {
			t.Errorf("welcome lacks %q:\n%s", want, doc)
		}
	}
	if slices.Contains(b.Calls(), "Enter intro") {
		t.Fatal("the welcome must not open a step before the learner asks")
	}
	h.press("enter")
	if st := h.m.step(); st == nil || st.ID != "intro" {
		t.Fatalf("enter opened %v, want intro", st)
	}
	if !slices.Contains(b.Calls(), "Enter intro") {
		t.Fatalf("the session was not told: %v", b.Calls())
	}
	if got := h.m.prog.StatusOf("intro"); got != progress.Passed {
		t.Errorf("a read step is passed once opened; status %q", got)
	}
}

func TestWelcomeGivesTheDoctorsAdviceWhenDockerIsAway(t *testing.T) {
	b := fixture.Session(t)
	b.Daemon.Stop()
	away := b.DockerStatus(context.Background())
	if away.Reachable || away.Problem == "" {
		t.Fatalf("a stopped daemon: %+v", away)
	}
	h := newHarness(t, b, 80, 24)
	for _, want := range []string{"**Docker:** **does not answer** at `" + away.Endpoint + "`", away.Problem} {
		if !strings.Contains(h.m.text.doc, want) {
			t.Errorf("welcome lacks %q:\n%s", want, h.m.text.doc)
		}
	}
	contains(t, h.plainScreen(), "Docker unreachable")
}

func TestLaterRunsResumeAtTheCurrentStep(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "find")
	h := newHarness(t, b, 80, 24)
	if st := h.m.step(); st == nil || st.ID != "find" {
		t.Fatalf("resumed at %v, want find", st)
	}
	if !strings.Contains(h.m.flash.text, "Welcome back") {
		t.Errorf("flash %q", h.m.flash.text)
	}
}

func TestNextAndPreviousWalkTheCourseToTheSummary(t *testing.T) {
	h := newHarness(t, fixture.Session(t), 120, 40)
	h.press("enter")
	if h.m.activeKeys().Prev.Enabled() {
		t.Error("p must not work on the first step")
	}
	h.press("p") // does nothing
	if h.m.cur != 0 {
		t.Fatalf("p on the first step moved to %d", h.m.cur)
	}
	for i := 1; i < len(h.m.steps); i++ {
		h.press("n")
		if h.m.cur != i || h.m.page != pageStep {
			t.Fatalf("after %d n: step %d page %v", i, h.m.cur, h.m.page)
		}
	}
	if !strings.Contains(helpText(h), "n summary") {
		t.Errorf("last step: help %q", helpText(h))
	}
	h.press("n")
	if h.m.page != pageSummary {
		t.Fatalf("n on the last step: page %v, want the summary", h.m.page)
	}
	if !strings.Contains(h.m.text.doc, "Course summary") || !strings.Contains(h.m.text.doc, "2.3 Fix the leak") {
		t.Errorf("summary:\n%s", h.m.text.doc)
	}
	if h.m.watch.active {
		t.Error("the summary watches nothing")
	}
	h.press("p")
	if h.m.page != pageStep || h.m.cur != len(h.m.steps)-1 {
		t.Fatalf("p on the summary: page %v step %d", h.m.page, h.m.cur)
	}
}

func TestQuickNextPressesEachMoveOneStep(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "intro")
	h := newHarness(t, b, 80, 24)
	// Two presses before the session answers the first.
	h.update(keyPress("n"))
	h.update(keyPress("n"))
	h.settle(settled)
	if st := h.m.step(); st == nil || st.ID != "leak-build" {
		t.Fatalf("n n from 1.1 opened %v, want 2.1", st)
	}
}

func TestHelpBarListsOnlyTheKeysThatWorkNow(t *testing.T) {
	b := fixture.Session(t)
	b.HoldBuilds()
	fixture.ReturningTo(t, b, "intro")
	h := newHarness(t, b, 120, 40)
	read := helpText(h)
	for _, absent := range []string{"r run", "c check", "a answer", "x reset", "esc"} {
		if strings.Contains(read, absent) {
			t.Errorf("read step: help shows %q: %s", absent, read)
		}
	}
	h.press("n")
	quiz := helpText(h)
	if !strings.Contains(quiz, "a answer") || strings.Contains(quiz, "r run") || strings.Contains(quiz, "c check") {
		t.Errorf("unanswered quiz: %s", quiz)
	}
	h.goTo("leak-build")
	ex := helpText(h)
	for _, want := range []string{"r run", "c check", "h hint", "e edit", "? all keys", "q quit"} {
		if !strings.Contains(ex, want) {
			t.Errorf("exercise: help lacks %q: %s", want, ex)
		}
	}
	if strings.Contains(ex, "esc") || strings.Contains(ex, "a answer") {
		t.Errorf("exercise at rest: %s", ex)
	}
	h.update(keyPress("r"))
	h.settle(func(m Model) bool { return m.job.active && len(m.output.lines) > 0 })
	busy := helpText(h)
	if !strings.Contains(busy, "esc cancel") || strings.Contains(busy, "r run") || strings.Contains(busy, "x reset") {
		t.Errorf("during a run: %s", busy)
	}
	// Pressing a disabled key does nothing.
	before := len(b.Calls())
	h.update(keyPress("r"))
	if got := b.Calls(); len(got) != before {
		t.Errorf("r during a run called %v", got[before:])
	}
}

func TestRunStreamsTheCommandAndOutputThenChecks(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 120, 40)
	before := ansi.Strip(outputAt(h.m.output, h.m.styles, outputPlaceholder(h.m.step(), h.m.info.Action, h.m.buildNote.builder), 300))
	contains(t, before, "same as typing:", "docker build -t ann-0a1b2c/dockertutor/buildargtest --build-arg BUILD_REPO_SECRET=canary-5f3a9c")
	h.press("r")
	out := ansi.Strip(outputAt(h.m.output, h.m.styles, "", 200))
	if !strings.HasPrefix(out, "$ DOCKER_BUILDKIT=0 docker build -t ann-0a1b2c/dockertutor/buildargtest --build-arg BUILD_REPO_SECRET=canary-5f3a9c") {
		t.Errorf("the equivalent command comes first; output:\n%s", out)
	}
	for _, want := range []string{"Step 1/3 : FROM alpine:3.22", `Step 3/3 : RUN echo "token has ${#BUILD_REPO_SECRET} characters"`, "Built ann-0a1b2c/dockertutor/buildargtest"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if h.m.output.state != jobDone {
		t.Errorf("output state %v, want done", h.m.output.state)
	}
	calls := b.Calls()
	run, chk := slices.Index(calls, "Run leak-build"), slices.Index(calls, "Check leak-build")
	if run < 0 || chk < run {
		t.Fatalf("want Run then Check: %v", calls)
	}
	if h.m.results.verdict == nil || !h.m.results.verdict.Passed {
		t.Fatalf("verdict %+v", h.m.results.verdict)
	}
	contains(t, h.plainScreen(), "Step passed", "Your secret is in ann-0a1b2c/dockertutor/buildargtest", "done")
	if h.m.prog.StatusOf("leak-build") != progress.Passed {
		t.Error("the outline does not show the pass")
	}
}

func TestEscAbortsARunningBuild(t *testing.T) {
	b := fixture.Session(t)
	b.HoldBuilds()
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 80, 24)
	h.update(keyPress("r"))
	h.settle(func(m Model) bool { return m.job.active && len(m.output.lines) == 2 })
	if h.m.bottomTab != paneOutput {
		t.Error("a run shows its output")
	}
	h.press("esc")
	if h.m.job.active {
		t.Fatal("the run is still active after esc")
	}
	if h.m.output.state != jobAborted {
		t.Fatalf("output state %v, want aborted", h.m.output.state)
	}
	out := ansi.Strip(outputAt(h.m.output, h.m.styles, "", 80))
	if !strings.HasSuffix(out, "The run was aborted.") || strings.Contains(out, "failed") {
		t.Errorf("a cancelled run reads aborted, not failed:\n%s", out)
	}
	if strings.Contains(strings.ToLower(h.m.flash.text), "fail") || !strings.Contains(h.m.flash.text, "Aborted") {
		t.Errorf("flash %q", h.m.flash.text)
	}
	if slices.Contains(b.Calls(), "Check leak-build") {
		t.Error("an aborted run is not checked")
	}
}

func TestEscAbortsACheck(t *testing.T) {
	b := fixture.Session(t)
	b.GateChecks(make(chan struct{}))
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	h.update(keyPress("c"))
	h.settle(func(m Model) bool { return m.checking.active })
	contains(t, helpText(h), "esc cancel")
	h.press("esc")
	if h.m.checking.active || h.m.results.state != checkAborted {
		t.Fatalf("checking %v, results state %v", h.m.checking.active, h.m.results.state)
	}
	contains(t, h.plainScreen(), "aborted")
}

func TestAFailedRunSaysWhyAndTheTutorCarriesOn(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	st, _ := b.Course.Step("leak-build")
	b.Save(t, st, "Dockerfile", "FORM alpine:3.22\n") // a typo the build stops at
	h := newHarness(t, b, 80, 24)
	h.press("r")
	if h.m.output.state != jobFailed {
		t.Fatalf("state %v", h.m.output.state)
	}
	if h.m.flash.kind != flashError || !strings.Contains(h.m.flash.text, "unknown instruction: FORM") {
		t.Errorf("flash %+v", h.m.flash)
	}
	if h.quit {
		t.Fatal("an error ended the program")
	}
	if !h.m.activeKeys().Run.Enabled() {
		t.Error("r must work again after a failed run")
	}
}

func TestCheckErrorsShowInTheStatusLine(t *testing.T) {
	b := fixture.Session(t)
	b.FailChecks(errors.New("cannot read Dockerfile: permission denied"))
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	h.press("c")
	if h.m.flash.kind != flashError || !strings.Contains(h.m.flash.text, "permission denied") {
		t.Fatalf("flash %+v", h.m.flash)
	}
	contains(t, h.plainScreen(), "permission denied")
	if h.quit {
		t.Fatal("an error ended the program")
	}
}

func TestWatchRechecksWhenTheBackendReportsAChange(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 80, 24)
	h.settle(func(m Model) bool { return m.watch.watching })
	contains(t, h.plainScreen(), "Results · watching")
	b.WaitWatching(t, 1)
	// The learner runs `docker build` in another terminal.
	b.BuiltElsewhere(t, h.m.step(), "ann-0a1b2c/dockertutor/buildargtest:latest")
	h.settle(func(m Model) bool { return settled(m) && m.results.verdict != nil })
	if !h.m.results.verdict.Passed {
		t.Fatalf("verdict not passed: %+v", h.m.results.verdict)
	}
	if h.m.results.reason != "image ann-0a1b2c/dockertutor/buildargtest:latest tagged" {
		t.Errorf("reason %q", h.m.results.reason)
	}
	contains(t, h.plainScreen(), "Step 2.1 passed!")
}

func TestARecheckThatFindsNothingNewKeepsTheScroll(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	h.settle(func(m Model) bool { return m.watch.watching })
	b.WaitWatching(t, 1)
	h.press("c")
	if h.m.results.verdict == nil || h.m.results.verdict.Passed {
		t.Fatalf("the starter must fail: %+v", h.m.results.verdict)
	}
	for h.m.focus != paneResults {
		h.press("tab")
	}
	h.press("pgdown")
	scrolled := h.m.results.vp.YOffset()
	if scrolled == 0 {
		t.Fatalf("the results do not scroll at 80x24:\n%s", h.plainScreen())
	}
	// The learner's tag arrives with nothing built: the same findings.
	before := b.CountCalls("Check fix")
	b.Tagged("ann-0a1b2c/dockertutor/multistage:latest")
	h.settle(func(m Model) bool { return settled(m) && b.CountCalls("Check fix") > before })
	if got := h.m.results.vp.YOffset(); got != scrolled {
		t.Errorf("a re-check with the same findings moved the results from line %d to %d", scrolled, got)
	}
	// A save that changes what the checks find starts from the top.
	b.Save(t, h.m.step(), "Dockerfile", "FROM alpine:3.22 AS build\nFROM alpine:3.22\n")
	h.settle(func(m Model) bool { return settled(m) && b.CountCalls("Check fix") > before+1 })
	if got := h.m.results.vp.YOffset(); got != 0 {
		t.Errorf("new findings left the results at line %d, want the top", got)
	}
}

func TestChangesDuringACheckFoldIntoOneMoreCheck(t *testing.T) {
	b := fixture.Session(t)
	gate := make(chan struct{}, 10)
	b.GateChecks(gate)
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	h.settle(func(m Model) bool { return m.watch.watching })
	b.WaitWatching(t, 1)
	st := h.m.step()
	b.Save(t, st, "Dockerfile", "FROM alpine:3.22 AS build\n")
	h.settle(func(m Model) bool { return m.checking.active })
	b.Save(t, st, "Dockerfile", "FROM alpine:3.22 AS build\nFROM alpine:3.22\n")
	b.Tagged("ann-0a1b2c/dockertutor/multistage:latest")
	h.settle(func(m Model) bool { return m.recheck != "" })
	gate <- struct{}{}
	gate <- struct{}{}
	h.settle(func(m Model) bool { return settled(m) && m.recheck == "" })
	n := 0
	for _, c := range b.Calls() {
		if c == "Check fix" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d checks for three changes, want 2: %v", n, b.Calls())
	}
}

func TestLeavingAStepStopsItsWatcher(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 80, 24)
	h.settle(func(m Model) bool { return m.watch.watching })
	first := h.m.watch.id
	h.press("n") // a free-answer step: nothing to watch
	if h.m.watch.active {
		t.Fatal("an answer step is not watched")
	}
	b.Save(t, h.m.steps[stepIndex(t, h, "leak-build")], "Dockerfile", "FROM alpine:3.22\n")
	b.Tagged("ann-0a1b2c/dockertutor/buildargtest:latest")
	time.Sleep(2 * tutor.Debounce) // what a watcher still running would have reported by now
	h.settle(settled)
	if slices.Contains(b.Calls(), "Check find") || slices.Contains(b.Calls(), "Check leak-build") {
		t.Errorf("a change after leaving the step was checked: %v", b.Calls())
	}
	h.press("n")
	if !h.m.watch.active || h.m.watch.id == first {
		t.Error("the next exercise gets its own watcher")
	}
}

func TestDockerGoingAwayAndComingBack(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	h.settle(func(m Model) bool { return m.watch.watching })
	contains(t, h.plainScreen(), "Docker 28.5.1 · BuildKit")

	b.Daemon.Stop()
	h.send(dockerPollMsg{})
	contains(t, h.plainScreen(), "Docker unreachable", "Docker went away")
	// A watcher whose channel closed while the daemon was away (the
	// session's own reconnects by itself) must be started again.
	h.m.watch.watching = false

	b.Daemon.Start()
	watches := countCalls(b.Calls(), "Watch fix")
	h.send(dockerPollMsg{})
	contains(t, h.plainScreen(), "Docker is back", "Docker 28.5.1")
	if got := countCalls(b.Calls(), "Watch fix"); got != watches+1 {
		t.Errorf("watch not restarted when Docker came back: %v", b.Calls())
	}
}

func countCalls(calls []string, c string) int {
	n := 0
	for _, x := range calls {
		if x == c {
			n++
		}
	}
	return n
}

func TestHintsRevealOneAtATime(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 120, 40)
	if strings.Contains(h.m.text.doc, "Press r, and the tutor runs the build") {
		t.Fatal("a hint shows before it is asked for")
	}
	h.press("h")
	if !strings.Contains(h.m.text.doc, "1. Press r, and the tutor runs the build") || strings.Contains(h.m.text.doc, "2. ") {
		t.Errorf("after one h:\n%s", h.m.text.doc)
	}
	if !strings.Contains(h.m.flash.text, "Hint 1 of 2") {
		t.Errorf("flash %q", h.m.flash.text)
	}
	h.press("h")
	if !strings.Contains(h.m.text.doc, "2. `docker build --build-arg BUILD_REPO_SECRET=canary-5f3a9c") {
		t.Errorf("second hint not filled in:\n%s", h.m.text.doc)
	}
	if h.m.activeKeys().Hint.Enabled() {
		t.Error("h must stop working once every hint is shown")
	}
	if !h.m.text.vp.AtBottom() {
		t.Error("a new hint scrolls into view")
	}
}

func TestSolutionAsksBeforeAPassAndCanBeApplied(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 120, 40)
	h.press("s")
	if h.m.prompt.kind != promptConfirm {
		t.Fatal("the solution before a pass needs a yes")
	}
	contains(t, h.plainScreen(), "You have not passed step 2.3 yet")
	h.press("n")
	if slices.Contains(b.Calls(), "Solution fix") || h.m.solution != nil {
		t.Fatal("no means no")
	}
	h.press("s", "y")
	if h.m.solution == nil || !strings.Contains(h.m.text.doc, "COPY --from=build /artifact /artifact") {
		t.Fatalf("solution not shown:\n%s", h.m.text.doc)
	}
	contains(t, h.plainScreen(), "Reference solution · step 2.3", "s use this solution", "esc back to the step")
	h.press("s")
	contains(t, h.plainScreen(), "Put the reference solution in your step folder")
	h.press("y")
	if !slices.Contains(b.Calls(), "Solve fix") {
		t.Fatalf("Solve not called: %v", b.Calls())
	}
	if h.m.solution != nil {
		t.Error("the step text comes back while the solution runs")
	}
	if countCalls(b.Calls(), "Check fix") != 1 {
		t.Errorf("the solution is checked once it ran: %v", b.Calls())
	}
}

func TestSolutionShowsStraightAwayAfterAPassAndEscGoesBack(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	b.SetProgress(t, func(p *progress.Progress) { p.Step("fix").Status = progress.Passed })
	h := newHarness(t, b, 80, 24)
	h.press("s")
	if h.m.prompt.kind != promptNone || h.m.solution == nil {
		t.Fatal("after a pass the solution needs no confirmation")
	}
	h.press("esc")
	if h.m.solution != nil || !strings.Contains(h.m.text.doc, "Rewrite the Dockerfile") {
		t.Error("esc goes back to the step")
	}
}

func TestResetAsksFirst(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	h.press("c")
	if h.m.results.verdict == nil {
		t.Fatal("no verdict")
	}
	h.press("x")
	contains(t, h.plainScreen(), "Reset step 2.3?", "y yes", "n no")
	h.press("esc")
	if slices.Contains(b.Calls(), "ResetStep fix") {
		t.Fatal("reset without a yes")
	}
	h.press("x", "y")
	if !slices.Contains(b.Calls(), "ResetStep fix") {
		t.Fatalf("no reset: %v", b.Calls())
	}
	if h.m.results.verdict != nil {
		t.Error("a reset step has no verdict")
	}
	contains(t, h.m.flash.text, "Step 2.3 is reset")
}

func TestAnsweringAQuiz(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "pick")
	h := newHarness(t, b, 80, 24)
	h.press("a")
	if h.m.prompt.kind != promptAnswer {
		t.Fatal("a opens the answer line")
	}
	contains(t, h.plainScreen(), "Your choice:", "enter submit")
	h.typeText("c")
	h.press("enter")
	if v := h.m.results.verdict; v == nil || v.Passed {
		t.Fatalf("c is wrong: %+v", v)
	}
	if h.m.prog.StatusOf("pick") != progress.Failed {
		t.Errorf("status %q", h.m.prog.StatusOf("pick"))
	}
	h.press("a")
	h.typeText("b")
	h.press("enter")
	if v := h.m.results.verdict; v == nil || !v.Passed {
		t.Fatalf("b is right: %+v", v)
	}
	contains(t, h.m.text.doc, "Your answer: **b**")
	contains(t, h.plainScreen(), "Step 1.2 passed!", "1/5 passed")
	// On the next step the line about 1.2 is gone.
	h.press("n")
	if h.m.cur == 1 || strings.Contains(h.plainScreen(), "Step 1.2 passed!") {
		t.Errorf("step %d shows a stale pass:\n%s", h.m.cur, h.plainScreen())
	}
}

func TestAnsweringAFreeAnswerStep(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "find")
	h := newHarness(t, b, 80, 24)
	h.press("a")
	contains(t, h.plainScreen(), "The value of BUILD_REPO_SECRET:")
	h.typeText("canary-5f3a9c")
	h.press("enter")
	if v := h.m.results.verdict; v == nil || !v.Passed {
		t.Fatalf("the learner's canary is the answer: %+v", v)
	}
	if !slices.Contains(b.Calls(), "Answer find canary-5f3a9c") {
		t.Errorf("calls %v", b.Calls())
	}
}

func TestOutlineToggleFocusAndOpen(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "intro")
	h := newHarness(t, b, 80, 24)
	if !h.m.lay.Outline.empty() {
		t.Fatal("at 80 columns the outline starts hidden")
	}
	h.press("l")
	if h.m.lay.Outline.empty() {
		t.Fatal("l shows the outline")
	}
	contains(t, h.plainScreen(), "Outline", "▸✓ 1.1", "○ 2.3")
	h.press("shift+tab") // text -> outline
	if h.m.focus != paneOutline {
		t.Fatalf("focus %v", h.m.focus)
	}
	contains(t, helpText(h), "enter open step")
	h.press("j", "j", "enter")
	if st := h.m.step(); st == nil || st.ID != "leak-build" {
		t.Fatalf("opened %v", st)
	}
	h.press("tab", "tab")
	if h.m.focus != paneOutput || h.m.bottomTab != paneOutput {
		t.Errorf("focus %v tab %v", h.m.focus, h.m.bottomTab)
	}
	h.press("l")
	if !h.m.lay.Outline.empty() {
		t.Fatal("l hides it again")
	}
	h.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	if !h.m.lay.Outline.empty() {
		t.Error("once toggled, the outline stays as the learner left it")
	}
}

func TestSearchOpensAStep(t *testing.T) {
	h := newHarness(t, fixture.Session(t), 80, 24)
	h.press("/")
	h.typeText("find")
	contains(t, h.plainScreen(), "Search", "2.2 Find the leak")
	if strings.Contains(h.plainScreen(), "1.1 What an image") {
		t.Error("search lists only matches")
	}
	h.press("enter")
	if st := h.m.step(); st == nil || st.ID != "find" {
		t.Fatalf("opened %v", st)
	}
	if !h.m.lay.Outline.empty() {
		t.Error("the outline closes with the search at 80 columns")
	}
}

func TestTooSmallSaysSoAndIgnoresKeys(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "intro")
	h := newHarness(t, b, 79, 24)
	contains(t, h.plainScreen(), "too small (79×24)", "at least 80×24")
	h.press("n")
	if h.m.cur != 0 {
		t.Error("keys work on a screen that cannot show their effect")
	}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	contains(t, h.plainScreen(), "What an image remembers")
	h.send(tea.WindowSizeMsg{Width: 100, Height: 23})
	contains(t, h.plainScreen(), "too small")
	h.press("q")
	if !h.quit {
		t.Error("q quits even then")
	}
}

func TestQuitCancelsWhatRuns(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			b := fixture.Session(t)
			b.HoldBuilds()
			fixture.ReturningTo(t, b, "leak-build")
			h := newHarness(t, b, 80, 24)
			h.update(keyPress("r"))
			h.settle(func(m Model) bool { return m.job.active && len(m.output.lines) == 2 })
			h.update(keyPress(k))
			h.settle(func(m Model) bool { return h.quit })
			if !h.quit {
				t.Fatal("no quit")
			}
			h.settle(func(m Model) bool { return !m.job.active }) // Run returned: its context ended
		})
	}
}

func TestResizeRerendersTheTextCappedNear100Columns(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	narrow := h.m.text.have.width
	h.send(tea.WindowSizeMsg{Width: 200, Height: 50})
	if h.m.text.have.width == narrow {
		t.Fatal("not re-rendered on resize")
	}
	for _, line := range strings.Split(h.m.text.vp.GetContent(), "\n") {
		plain := strings.TrimRight(ansi.Strip(line), " ")
		if strings.HasSuffix(plain, h.m.info.Action) {
			continue // a command is never wrapped
		}
		if !strings.Contains(strings.TrimSpace(plain), " ") {
			continue // nor is a path (the test's folder is long)
		}
		if w := ansi.StringWidth(plain); w > 100 {
			t.Fatalf("line of %d cells at 200 columns: %q", w, line)
		}
	}
	h.send(tea.BackgroundColorMsg{Color: color.White})
	if h.m.text.have.style != markdown.Light {
		t.Errorf("a light terminal gets the light style, have %q", h.m.text.have.style)
	}
}

func TestMouseWheelScrollsThePaneUnderThePointer(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 80, 24)
	r := h.m.lay.Text
	h.send(tea.MouseWheelMsg{X: r.X + 5, Y: r.Y + 3, Button: tea.MouseWheelDown})
	if h.m.text.vp.YOffset() != 3 {
		t.Fatalf("text offset %d after one wheel notch", h.m.text.vp.YOffset())
	}
	h.send(tea.MouseWheelMsg{X: r.X + 5, Y: r.Y + 3, Button: tea.MouseWheelUp})
	if h.m.text.vp.YOffset() != 0 {
		t.Fatalf("text offset %d", h.m.text.vp.YOffset())
	}
}

func TestEditorAndShellOpenInTheStepFolder(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	env := map[string]string{"VISUAL": "true --wait", "SHELL": "true"}
	h.m.cfg.getenv = func(k string) string { return env[k] }

	_, cmd := h.m.Update(keyPress("e"))
	msg, ok := cmd().(execReadyMsg)
	if !ok || msg.err != nil {
		t.Fatalf("editor: %#v", msg)
	}
	dir := filepath.Join(b.Work.Root, "fixture", "secrets", "fix")
	if got := msg.cmd.Args[1:]; !slices.Equal(got, []string{"--wait", dir + "/Dockerfile"}) || msg.cmd.Dir != dir {
		t.Errorf("editor args %v dir %s", got, msg.cmd.Dir)
	}
	if _, exec := h.m.Update(msg); exec == nil {
		t.Error("no ExecProcess for a ready editor")
	}
	h.send(execDoneMsg{what: "editor"})
	if countCalls(b.Calls(), "Check fix") != 1 {
		t.Errorf("closing the editor checks the step: %v", b.Calls())
	}

	_, cmd = h.m.Update(keyPress("t"))
	msg = cmd().(execReadyMsg)
	if msg.err != nil || msg.cmd.Dir != dir {
		t.Errorf("shell: %#v", msg)
	}

	env = map[string]string{"VISUAL": "no-such-editor-here"}
	_, cmd = h.m.Update(keyPress("e"))
	h.send(cmd())
	if h.m.flash.kind != flashError || !strings.Contains(h.m.flash.text, "no-such-editor-here") {
		t.Errorf("a missing editor is an error in the status line: %+v", h.m.flash)
	}
}

func TestNoColorDrawsNoColours(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 120, 40)
	if !hasColour(h.screen()) {
		t.Fatal("the coloured screen has no colour: the test cannot see any")
	}
	h.m.cfg.noColor = true
	h.m.applyStyles()
	h.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	h.press("r")
	if s := h.screen(); hasColour(s) {
		t.Fatalf("NO_COLOR screen has colours:\n%q", s)
	}
	contains(t, h.plainScreen(), "Step passed")
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// hasColour reports whether s sets a foreground or background colour.
func hasColour(s string) bool {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.Split(m[1], ";") {
			n, _ := strconv.Atoi(strings.Split(p, ":")[0])
			if n == 38 || n == 48 || n >= 30 && n <= 37 || n >= 40 && n <= 47 || n >= 90 && n <= 97 || n >= 100 && n <= 107 {
				return true
			}
		}
	}
	return false
}

func TestLeavingAStepCancelsItsCheck(t *testing.T) {
	b := fixture.Session(t)
	b.GateChecks(make(chan struct{}))
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	h.update(keyPress("c"))
	h.settle(func(m Model) bool { return m.checking.active })
	h.update(keyPress("/"))
	for _, r := range "leak-build" {
		h.update(keyPress(string(r)))
	}
	h.update(keyPress("enter"))
	h.settle(func(m Model) bool { st := m.step(); return st != nil && st.ID == "leak-build" && m.text.ready() })
	if h.m.checking.active || h.m.results.state == checkRunning {
		t.Fatal("the check of the step left behind still runs")
	}
	if !h.m.activeKeys().Check.Enabled() {
		t.Error("c must work on the new step")
	}
	if h.m.results.verdict != nil {
		t.Error("the new step shows a verdict it never had")
	}
}

// TestCopyPutsTheStepsCommandOnTheClipboard: y sends the step's main
// command with OSC 52; where the terminal may drop it, the command is
// saved in a file as well and the status line names the file.
func TestCopyPutsTheStepsCommandOnTheClipboard(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 120, 40)
	h.m.cfg.getenv = func(k string) string { return map[string]string{"TERM": "xterm-256color"}[k] }
	want := h.m.info.MainCommand()
	if want == "" || want != h.m.info.Action {
		t.Fatalf("main command %q, want the action's %q", want, h.m.info.Action)
	}
	h.press("y")
	if h.clipboard != want {
		t.Fatalf("clipboard %q, want %q", h.clipboard, want)
	}
	contains(t, h.plainScreen(), "Copied to the clipboard")

	h.clipboard = ""
	h.m.cfg.getenv = func(k string) string {
		return map[string]string{"TERM": "screen-256color", "TMUX": "/tmp/tmux-0/default,1,0"}[k]
	}
	h.press("y")
	if h.clipboard != want {
		t.Fatalf("inside tmux: clipboard %q, want %q", h.clipboard, want)
	}
	file := filepath.Join(filepath.Dir(b.ProgressPath()), "command.txt")
	saved, err := os.ReadFile(file)
	if err != nil || string(saved) != want+"\n" {
		t.Fatalf("saved command %q, %v; want %q", saved, err, want)
	}
	contains(t, strings.Join(strings.Fields(h.plainScreen()), " "), "may ignore")
}

func TestCopyIsOffWithoutACommand(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "pick")
	h := newHarness(t, b, 120, 40)
	if h.m.info.MainCommand() != "" {
		t.Fatalf("the fixture's quiz has a command: %q", h.m.info.MainCommand())
	}
	if h.m.activeKeys().Copy.Enabled() {
		t.Fatal("y is on with nothing to copy")
	}
	h.press("y")
	if h.clipboard != "" {
		t.Fatalf("copied %q", h.clipboard)
	}
}

// TestLongMessagesAreShownInFull: a message too long for the status line
// (a reset that hit a conflict, a long Docker error) is wrapped above it,
// every word on screen, and gives its lines back when it goes.
func TestLongMessagesAreShownInFull(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 80, 24)
	textHeight := h.m.lay.Text.H
	h.exec(h.m.setFlash(longResetError, flashError))
	h.settle(settled)
	if h.m.lay.Message.empty() || h.m.lay.Text.H >= textHeight {
		t.Fatalf("no room made for the message: %+v", h.m.lay)
	}
	screen := strings.Join(strings.Fields(h.plainScreen()), " ")
	if !strings.Contains(screen, longResetError) {
		t.Fatalf("the message is not on screen in full:\n%s", h.plainScreen())
	}
	requireSize(t, h.screen(), 80, 24)
	h.send(flashExpiredMsg{id: h.m.flash.id})
	if !h.m.lay.Message.empty() || h.m.lay.Text.H != textHeight {
		t.Fatalf("the message's lines were not given back: %+v", h.m.lay)
	}
}

// TestEveryQuizChoiceIsReachableAt80x24: on the smallest screen, with the
// answer prompt open, every choice of every quiz of the built-in course
// comes into view whole by scrolling the text with ↓.
func TestEveryQuizChoiceIsReachableAt80x24(t *testing.T) {
	course, problems := lessons.Builtin()
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	b := fake.OpenIn(t, course, t.TempDir(), t.TempDir())
	h := newHarness(t, b, 80, 24)
	quizzes := 0
	for idx, st := range h.m.steps {
		if st.Kind != lessons.KindQuiz || st.Quiz == nil {
			continue
		}
		quizzes++
		h.exec(h.m.enterStep(idx))
		h.settle(func(m Model) bool { return settled(m) && m.cur == idx && m.info.Step != nil && m.info.Step.ID == st.ID })
		h.press("a")
		if h.m.prompt.kind != promptAnswer {
			t.Fatalf("step %s: a opened no answer prompt", st.Number)
		}
		seen := ""
		for range h.m.text.vp.TotalLineCount() {
			seen += "\n" + h.plainScreen()
			h.press("down")
		}
		seen += "\n" + h.plainScreen()
		for _, c := range st.Quiz.Choices {
			first := strings.Fields(strings.NewReplacer("`", "", "**", "").Replace(c.Text))
			if len(first) > 4 {
				first = first[:4]
			}
			if !strings.Contains(strings.Join(strings.Fields(seen), " "), c.ID+" "+strings.Join(first, " ")) {
				t.Errorf("step %s: choice %s (%q) never came into view", st.Number, c.ID, c.Text)
			}
		}
		if h.m.prompt.kind != promptAnswer {
			t.Fatalf("step %s: scrolling closed the prompt", st.Number)
		}
		h.press("esc")
	}
	if quizzes == 0 {
		t.Fatal("the built-in course has no quiz")
	}
}

// TestResultsScrollWhenLongerThanThePane: at 80x24 a verdict runs past
// the results pane; its border says so, and the keys (once it has focus)
// and the wheel over it scroll it.
func TestResultsScrollWhenLongerThanThePane(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	h := newHarness(t, b, 80, 24)
	h.press("c")
	if h.m.results.vp.TotalLineCount() <= h.m.results.vp.Height() {
		t.Fatalf("the verdict fits (%d lines in %d): nothing to scroll", h.m.results.vp.TotalLineCount(), h.m.results.vp.Height())
	}
	if info := ansi.Strip(h.m.results.info(h.m.styles)); !strings.HasSuffix(info, "↓") {
		t.Fatalf("border info %q does not say there is more below", info)
	}
	for h.m.focus != paneResults {
		h.press("tab")
	}
	h.press("down")
	if h.m.results.vp.YOffset() != 1 {
		t.Fatalf("↓ moved the results to %d", h.m.results.vp.YOffset())
	}
	r := h.m.lay.Results
	h.send(tea.MouseWheelMsg{X: r.X + 5, Y: r.Y + 2, Button: tea.MouseWheelDown})
	if h.m.results.vp.YOffset() <= 1 {
		t.Fatalf("the wheel left the results at %d", h.m.results.vp.YOffset())
	}
	if info := ansi.Strip(h.m.results.info(h.m.styles)); !strings.Contains(info, "↑") {
		t.Fatalf("border info %q does not say there is more above", info)
	}
}
