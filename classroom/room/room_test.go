package room

import (
	"slices"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/lessons"
)

// testCourse: lesson 1 (a read step, an exercise with two checks),
// lesson 2 (an exercise), lesson 3 (an optional exercise).
func testCourse() *lessons.Course {
	l1 := &lessons.Lesson{ID: "basics", Number: 1, Title: "Basics"}
	l2 := &lessons.Lesson{ID: "secrets", Number: 2, Title: "Secrets"}
	l3 := &lessons.Lesson{ID: "extra", Number: 3, Title: "Extra"}
	l1.Steps = []*lessons.Step{
		{ID: "intro", Number: "1.1", Title: "Intro", Kind: lessons.KindRead, Lesson: l1},
		{ID: "build", Number: "1.2", Title: "Build it", Kind: lessons.KindExercise, Lesson: l1, Checks: []lessons.Check{
			{ID: "exists", Title: "the image exists"}, {ID: "user", Title: "it runs as a user"}}},
	}
	l2.Steps = []*lessons.Step{{ID: "mount", Number: "2.1", Title: "Mount it", Kind: lessons.KindExercise, Lesson: l2,
		Checks: []lessons.Check{{ID: "mounted", Title: "the secret is mounted"}}}}
	l3.Steps = []*lessons.Step{{ID: "bonus", Number: "3.1", Title: "Bonus", Kind: lessons.KindExercise, Optional: true, Lesson: l3}}
	return &lessons.Course{ID: "test-course", Title: "Test", Lessons: []*lessons.Lesson{l1, l2, l3}}
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// events numbers a learner's events and times them a minute apart from t0.
func events(es ...wire.Event) []wire.Event {
	for i := range es {
		es[i].Seq = int64(i + 1)
		if es[i].At.IsZero() {
			es[i].At = t0.Add(time.Duration(i) * time.Minute)
		}
	}
	return es
}

func opened(step string) wire.Event { return wire.Event{Kind: wire.StepOpened, Step: step} }
func verdict(step string, passed bool, checks ...wire.CheckOutcome) wire.Event {
	return wire.Event{Kind: wire.Verdict, Step: step, Passed: passed, Checks: checks}
}
func ok(id string) wire.CheckOutcome   { return wire.CheckOutcome{ID: id, Outcome: wire.Passed} }
func fail(id string) wire.CheckOutcome { return wire.CheckOutcome{ID: id, Outcome: wire.Failed} }

func learner(id string) Learner { return Learner{ID: id, Name: id, LastSeen: t0.Add(10 * time.Minute)} }

func TestLearnerViews(t *testing.T) {
	c := testCourse()
	cases := []struct {
		name     string
		events   []wire.Event
		now      time.Time
		settings Settings
		check    func(t *testing.T, v LearnerView)
	}{
		{
			name:   "a read step passes once opened; the exercise is current and failing",
			events: events(opened("intro"), opened("build"), verdict("build", false, ok("exists"), fail("user"))),
			now:    t0.Add(5 * time.Minute), settings: Settings{StuckAfter: 10 * time.Minute},
			check: func(t *testing.T, v LearnerView) {
				if v.Passed != 1 || v.Total != 4 || v.Step != "build" || v.StepNumber != "1.2" || v.Verdict != "failed" {
					t.Errorf("passed %d of %d on %s (%s), verdict %q", v.Passed, v.Total, v.Step, v.StepNumber, v.Verdict)
				}
				if len(v.Failing) != 1 || v.Failing[0] != "it runs as a user" {
					t.Errorf("failing %q, want the user check's title", v.Failing)
				}
				if v.OnStepSeconds != 4*60 || v.Stuck || !v.Online {
					t.Errorf("on step %ds, stuck %v, online %v", v.OnStepSeconds, v.Stuck, v.Online)
				}
			},
		},
		{
			name:   "stuck after the stuck time on a step not passed",
			events: events(opened("intro"), opened("build"), verdict("build", false, fail("exists"))),
			now:    t0.Add(12 * time.Minute), settings: Settings{StuckAfter: 10 * time.Minute},
			check: func(t *testing.T, v LearnerView) {
				if !v.Stuck || v.OnStepSeconds != 11*60 || v.Online {
					t.Errorf("stuck %v after %ds, online %v: want stuck after 11 minutes, offline", v.Stuck, v.OnStepSeconds, v.Online)
				}
			},
		},
		{
			name:   "never stuck on a passed step",
			events: events(opened("build"), verdict("build", true, ok("exists"), ok("user"))),
			now:    t0.Add(time.Hour), settings: Settings{StuckAfter: 10 * time.Minute},
			check: func(t *testing.T, v LearnerView) {
				if v.Stuck || v.Verdict != "passed" || len(v.Failing) != 0 || v.Passed != 1 {
					t.Errorf("stuck %v, verdict %q, failing %q, passed %d", v.Stuck, v.Verdict, v.Failing, v.Passed)
				}
			},
		},
		{
			name:   "a later failure makes a passed step failed, as on the learner's screen",
			events: events(opened("build"), verdict("build", true), verdict("build", false, fail("exists"))),
			now:    t0.Add(3 * time.Minute),
			check: func(t *testing.T, v LearnerView) {
				if v.Passed != 0 || v.StepStatus != "failed" || v.Verdict != "failed" {
					t.Errorf("passed %d, status %q, verdict %q", v.Passed, v.StepStatus, v.Verdict)
				}
			},
		},
		{
			name:   "time on step counts from when the step became current again",
			events: events(opened("build"), opened("mount"), opened("build")),
			now:    t0.Add(3 * time.Minute), settings: Settings{StuckAfter: 2 * time.Minute},
			check: func(t *testing.T, v LearnerView) {
				if v.OnStepSeconds != 60 || v.Stuck {
					t.Errorf("on step %ds, stuck %v: want 60 s, not stuck", v.OnStepSeconds, v.Stuck)
				}
			},
		},
		{
			name:   "held at lesson 1 and done with it: waiting, not stuck",
			events: events(opened("intro"), opened("build"), verdict("build", true)),
			now:    t0.Add(time.Hour), settings: Settings{StuckAfter: time.Minute, HoldLesson: "basics"},
			check: func(t *testing.T, v LearnerView) {
				if !v.Waiting || v.Stuck || v.Finished {
					t.Errorf("waiting %v, stuck %v, finished %v", v.Waiting, v.Stuck, v.Finished)
				}
			},
		},
		{
			name:   "held at lesson 1 and not done with it: not waiting",
			events: events(opened("intro"), opened("build")),
			now:    t0.Add(time.Hour), settings: Settings{StuckAfter: time.Minute, HoldLesson: "basics"},
			check: func(t *testing.T, v LearnerView) {
				if v.Waiting || !v.Stuck {
					t.Errorf("waiting %v, stuck %v: want stuck", v.Waiting, v.Stuck)
				}
			},
		},
		{
			name: "hints, solutions, answers; an optional step left out still finishes",
			events: events(opened("intro"), opened("build"), wire.Event{Kind: wire.HintShown, Step: "build", Hint: 1},
				wire.Event{Kind: wire.HintShown, Step: "build", Hint: 2}, wire.Event{Kind: wire.SolutionShown, Step: "build"},
				verdict("build", true), opened("mount"), wire.Event{Kind: wire.HintShown, Step: "mount", Hint: 1}, verdict("mount", true)),
			now: t0.Add(time.Hour),
			check: func(t *testing.T, v LearnerView) {
				if v.HintsUsed != 3 || v.SolutionsShown != 1 || !v.Finished || v.Passed != 3 {
					t.Errorf("hints %d, solutions %d, finished %v, passed %d", v.HintsUsed, v.SolutionsShown, v.Finished, v.Passed)
				}
			},
		},
		{
			name:   "a learner who reported nothing is nowhere",
			events: nil,
			now:    t0,
			check: func(t *testing.T, v LearnerView) {
				if v.Step != "" || v.Passed != 0 || v.Stuck || v.Verdict != "" {
					t.Errorf("%+v", v)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Derive(c, tc.settings, []Learner{learner("ann")}, map[string][]wire.Event{"ann": tc.events}, tc.now)
			if len(r.Learners) != 1 {
				t.Fatalf("%d learners", len(r.Learners))
			}
			tc.check(t, r.Learners[0])
		})
	}
}

func TestStepViewsCountTheRoom(t *testing.T) {
	c := testCourse()
	evs := map[string][]wire.Event{
		// ann: passed build, stuck on mount with "mounted" failing.
		"ann": events(opened("build"), verdict("build", true), opened("mount"), verdict("mount", false, fail("mounted"))),
		// bob: on build for long, "user" and "exists" failing.
		"bob": events(opened("build"), verdict("build", false, fail("user"), fail("exists"))),
		// cat: on build just now, "user" failing.
		"cat": events(wire.Event{Kind: wire.StepOpened, Step: "build", At: t0.Add(29 * time.Minute)},
			wire.Event{Kind: wire.Verdict, Step: "build", At: t0.Add(29 * time.Minute), Checks: []wire.CheckOutcome{ok("exists"), fail("user")}}),
		// dan: joined, nothing yet.
	}
	ls := []Learner{learner("dan"), learner("cat"), learner("bob"), learner("ann")}
	r := Derive(c, Settings{StuckAfter: 10 * time.Minute, HoldLesson: "secrets"}, ls, evs, t0.Add(30*time.Minute))

	if got := [4]string{r.Learners[0].ID, r.Learners[1].ID, r.Learners[2].ID, r.Learners[3].ID}; got != [4]string{"ann", "bob", "cat", "dan"} {
		t.Errorf("order %v, want by name", got)
	}
	byID := map[string]StepView{}
	for _, s := range r.Steps {
		byID[s.ID] = s
	}
	build, mount, bonus := byID["build"], byID["mount"], byID["bonus"]
	if build.Passed != 1 || build.Working != 1 || build.Stuck != 1 {
		t.Errorf("build: passed %d working %d stuck %d, want 1 1 1", build.Passed, build.Working, build.Stuck)
	}
	if len(build.Failing) != 2 || build.Failing[0] != (CheckCount{ID: "user", Title: "it runs as a user", Learners: 2}) ||
		build.Failing[1] != (CheckCount{ID: "exists", Title: "the image exists", Learners: 1}) {
		t.Errorf("build failing %+v, want user for 2 then exists for 1", build.Failing)
	}
	if mount.Stuck != 1 || mount.Working != 0 || len(mount.Failing) != 1 || mount.Failing[0].Learners != 1 || mount.Held {
		t.Errorf("mount %+v", mount)
	}
	if !bonus.Held || byID["build"].Held {
		t.Errorf("held: bonus %v, build %v: the hold is at lesson 2", bonus.Held, build.Held)
	}
	if r.Class.HoldTitle != "Secrets" || r.Total != 4 {
		t.Errorf("hold title %q, total %d", r.Class.HoldTitle, r.Total)
	}
}

func TestReadinessAndGrades(t *testing.T) {
	c := testCourse()
	ready := &wire.Readiness{Docker: true, Engine: "Docker Engine - Community", Version: "29.0.1", BuildKit: true,
		Images: []wire.ImageReadiness{{Ref: "alpine:3.22", Present: true}, {Ref: "golang:1.26", Present: false}}}
	evs := map[string][]wire.Event{"ann": events(
		wire.Event{Kind: wire.Ready, Readiness: ready},
		opened("build"),
		wire.Event{Kind: wire.HintShown, Step: "build", Hint: 1},
		verdict("build", false, fail("user")),
		wire.Event{Kind: wire.SolutionShown, Step: "build"},
		verdict("build", true),
		opened("mount"),
		wire.Event{Kind: wire.AnswerGiven, Step: "mount", Attempts: 1},
		wire.Event{Kind: wire.AnswerGiven, Step: "mount", Attempts: 2},
		verdict("mount", false, fail("mounted")),
	)}
	now := t0.Add(time.Hour)
	r := Derive(c, Settings{}, []Learner{learner("ann"), learner("bob")}, evs, now)
	m := r.Readiness[0]
	if !m.Reported || m.Ready || m.Present != 1 || len(m.Missing) != 1 || m.Missing[0] != "golang:1.26" {
		t.Errorf("ann's machine %+v: one image missing, not ready", m)
	}
	if r.Readiness[1].Reported || r.Readiness[1].Ready {
		t.Errorf("bob reported nothing: %+v", r.Readiness[1])
	}

	// Each image's state counts where it belongs; a tutor too old to
	// send a state counts by present alone.
	states := &wire.Readiness{Docker: true, BuildKit: true, Images: []wire.ImageReadiness{
		{Ref: "alpine:3.22", Present: true, State: "pinned"}, {Ref: "python:3.13-slim", Present: true, State: "present"},
		{Ref: "debian:12-slim", Present: true, State: "other-digest"}, {Ref: "node:22", State: "missing"},
		{Ref: "golang:1.26", State: "unknown"}, {Ref: "busybox:1", Present: true}}}
	r = Derive(c, Settings{}, []Learner{learner("ann")}, map[string][]wire.Event{"ann": events(wire.Event{Kind: wire.Ready, Readiness: states})}, now)
	m = r.Readiness[0]
	if m.Ready || m.Present != 3 || !slices.Equal(m.OtherDigest, []string{"debian:12-slim"}) || !slices.Equal(m.Missing, []string{"node:22", "golang:1.26"}) {
		t.Errorf("machine %+v: want 3 present, debian at another digest, node and golang missing, not ready", m)
	}
	states.Images = states.Images[:2]
	r = Derive(c, Settings{}, []Learner{learner("ann")}, map[string][]wire.Event{"ann": events(wire.Event{Kind: wire.Ready, Readiness: states})}, now)
	if m := r.Readiness[0]; !m.Ready {
		t.Errorf("machine %+v: every image at its pin, want ready", m)
	}

	traces := []*Trace{NewTrace(learner("ann"))}
	for _, e := range evs["ann"] {
		traces[0].Apply(c, e)
		traces[0].Apply(c, e) // a replayed event changes nothing
	}
	rows := Grades(c, traces, now)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want one per step", len(rows))
	}
	// A read step opened twice: the tutor records each opening as a
	// passing check, so the learner's report has two tries; so does the
	// class's.
	read := NewTrace(learner("cy"))
	for _, e := range events(opened("intro"), opened("build"), opened("intro")) {
		read.Apply(c, e)
	}
	if got := Grades(c, []*Trace{read}, now)[0]; got.Status != "passed" || got.Attempts != 2 {
		t.Errorf("intro opened twice: %+v, want passed in 2 tries", got)
	}
	intro, build, mount := rows[0], rows[1], rows[2]
	if intro.Status != "" || intro.Attempts != 0 {
		t.Errorf("intro %+v: never opened", intro)
	}
	if build.Status != "passed" || !build.PassedAt.Equal(t0.Add(5*time.Minute)) || build.Attempts != 2 || build.HintsUsed != 1 ||
		!build.SolutionShown || build.TimeOnStep != 4*time.Minute || build.Number != "1.2" || build.Lesson != "basics" {
		t.Errorf("build %+v", build)
	}
	// Two answers, one checked: two tries, and the clock runs to now.
	if mount.Status != "failed" || mount.Attempts != 2 || !mount.PassedAt.IsZero() || mount.TimeOnStep != now.Sub(t0.Add(6*time.Minute)) {
		t.Errorf("mount %+v", mount)
	}
}
