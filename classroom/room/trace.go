package room

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/classroom/grades"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/lessons"
)

// Step statuses, as grades.Row.Status words them.
const (
	statusStarted = "started"
	statusFailed  = "failed"
	statusPassed  = "passed"
	statusSkipped = "skipped"
)

// Trace is one learner's events folded into what the room needs. Apply
// takes each event once, in seq order; an event at or below the last
// applied seq changes nothing, so replaying is harmless.
type Trace struct {
	Learner Learner
	// Applied is the highest seq folded in.
	Applied int64

	current      string
	currentSince time.Time
	steps        map[string]*stepTrace
	readiness    *wire.Readiness
}

type stepTrace struct {
	status   string
	began    time.Time
	passedAt time.Time
	verdicts int
	answers  int
	hints    int
	solution bool
	// failing are the ids of the checks that did not pass in the step's
	// last verdict; checked says there was one.
	checked    bool
	lastPassed bool
	failing    []string
}

// NewTrace starts the trace of a learner with no events yet.
func NewTrace(l Learner) *Trace {
	return &Trace{Learner: l, steps: map[string]*stepTrace{}}
}

func (t *Trace) step(id string) *stepTrace {
	sp, ok := t.steps[id]
	if !ok {
		sp = &stepTrace{}
		t.steps[id] = sp
	}
	return sp
}

// Apply folds one event in. A step the course does not have is ignored
// (the server refuses such events before they are stored).
func (t *Trace) Apply(c *lessons.Course, e wire.Event) {
	if e.Seq <= t.Applied {
		return
	}
	t.Applied = e.Seq
	if e.Kind == wire.Ready {
		r := *e.Readiness
		r.Images = slices.Clone(r.Images)
		t.readiness = &r
		return
	}
	st, ok := c.Step(e.Step)
	if !ok || st.ID != e.Step {
		return
	}
	sp := t.step(e.Step)
	if sp.began.IsZero() {
		sp.began = e.At
	}
	if sp.status == "" {
		sp.status = statusStarted
	}
	// Whatever the learner does in a step makes it where they are: a
	// learner on the command line may check a step without opening it.
	if t.current != e.Step {
		t.current, t.currentSince = e.Step, e.At
	}
	switch e.Kind {
	case wire.StepOpened:
		if st.Kind == lessons.KindRead {
			// A read step is done once opened, as in the tutor, which
			// records each opening as a passing check: the learner's own
			// report counts it as a try, and so does the class's.
			sp.pass(e.At)
			sp.verdicts++
		}
	case wire.Verdict:
		sp.verdicts++
		sp.checked, sp.lastPassed = true, e.Passed
		sp.failing = sp.failing[:0]
		for _, co := range e.Checks {
			if co.Outcome != wire.Passed {
				sp.failing = append(sp.failing, co.ID)
			}
		}
		if e.Passed {
			sp.pass(e.At)
		} else {
			sp.status = statusFailed
		}
	case wire.HintShown:
		sp.hints = max(sp.hints, e.Hint)
	case wire.SolutionShown:
		sp.solution = true
	case wire.AnswerGiven:
		sp.answers = max(sp.answers, e.Attempts)
	case wire.StepSkipped:
		sp.status = statusSkipped
	}
}

func (sp *stepTrace) pass(at time.Time) {
	if sp.passedAt.IsZero() {
		sp.passedAt = at
	}
	sp.status = statusPassed
}

func (sp *stepTrace) done() bool {
	return sp != nil && (sp.status == statusPassed || sp.status == statusSkipped)
}

// attempts counts the step's tries: each answer is checked, so an answer
// step has a verdict per answer; the larger count is the tries, whether
// or not a verdict followed each answer.
func (sp *stepTrace) attempts() int { return max(sp.verdicts, sp.answers) }

// held says, per lesson id, whether the lesson is after the held one.
func held(c *lessons.Course, holdLesson string) map[string]bool {
	out := map[string]bool{}
	if holdLesson == "" {
		return out
	}
	i := slices.IndexFunc(c.Lessons, func(l *lessons.Lesson) bool { return l.ID == holdLesson })
	if i < 0 {
		return out
	}
	for _, l := range c.Lessons[i+1:] {
		out[l.ID] = true
	}
	return out
}

// Build is the room at now from the learners' traces.
func Build(c *lessons.Course, s Settings, traces []*Trace, now time.Time) Room {
	steps := c.Steps()
	isHeld := held(c, s.HoldLesson)
	r := Room{
		Format: Format, At: now, Total: len(steps),
		Class: Class{Code: s.Code, Title: s.Title, Course: c.ID, CourseTitle: c.Title, HoldLesson: s.HoldLesson,
			Message: s.Message, StuckAfterSeconds: int(s.StuckAfter / time.Second)},
		Learners: []LearnerView{}, Steps: make([]StepView, len(steps)), Readiness: []MachineView{},
	}
	for _, l := range c.Lessons {
		if l.ID == s.HoldLesson {
			r.Class.HoldTitle = l.Title
		}
	}
	index := make(map[string]int, len(steps))
	for i, st := range steps {
		index[st.ID] = i
		r.Steps[i] = StepView{ID: st.ID, Number: st.Number, Title: st.Title, Lesson: st.Lesson.ID, Held: isHeld[st.Lesson.ID]}
	}
	failing := make([]map[string]int, len(steps))
	for _, t := range sorted(traces) {
		v := learnerView(c, s, t, steps, isHeld, now)
		r.Learners = append(r.Learners, v)
		r.Readiness = append(r.Readiness, machineView(t, v.Online))
		for id, sp := range t.steps {
			i, ok := index[id]
			if !ok {
				continue
			}
			if sp.status == statusPassed {
				r.Steps[i].Passed++
			}
			if sp.status == statusFailed && sp.checked {
				if failing[i] == nil {
					failing[i] = map[string]int{}
				}
				for _, check := range sp.failing {
					failing[i][check]++
				}
			}
		}
		if i, ok := index[v.Step]; ok && !v.Waiting && v.StepStatus != statusPassed && v.StepStatus != statusSkipped {
			if v.Stuck {
				r.Steps[i].Stuck++
			} else {
				r.Steps[i].Working++
			}
		}
	}
	for i, counts := range failing {
		for id, n := range counts {
			title := id
			if ch, ok := steps[i].Check(id); ok {
				title = ch.Name()
			}
			r.Steps[i].Failing = append(r.Steps[i].Failing, CheckCount{ID: id, Title: title, Learners: n})
		}
		slices.SortFunc(r.Steps[i].Failing, func(a, b CheckCount) int {
			return cmp.Or(b.Learners-a.Learners, strings.Compare(a.ID, b.ID))
		})
	}
	return r
}

// sorted orders learners by name, then id: a stable order on a projector.
func sorted(traces []*Trace) []*Trace {
	out := slices.Clone(traces)
	slices.SortFunc(out, func(a, b *Trace) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Learner.Name), strings.ToLower(b.Learner.Name)), strings.Compare(a.Learner.ID, b.Learner.ID))
	})
	return out
}

func learnerView(c *lessons.Course, s Settings, t *Trace, steps []*lessons.Step, isHeld map[string]bool, now time.Time) LearnerView {
	v := LearnerView{ID: t.Learner.ID, Name: t.Learner.Name, LastSeen: t.Learner.LastSeen, Seq: t.Applied, Total: len(steps),
		Online: !t.Learner.LastSeen.IsZero() && now.Sub(t.Learner.LastSeen) < OnlineWithin}
	finished, doneToHold := true, true
	for _, st := range steps {
		sp := t.steps[st.ID]
		if sp != nil {
			if sp.status == statusPassed {
				v.Passed++
			}
			v.HintsUsed += sp.hints
			if sp.solution {
				v.SolutionsShown++
			}
		}
		if !st.Optional && !sp.done() {
			finished = false
			if !isHeld[st.Lesson.ID] {
				doneToHold = false
			}
		}
	}
	v.Finished = finished
	st, ok := c.Step(t.current)
	if !ok {
		return v
	}
	sp := t.steps[st.ID]
	v.Lesson, v.LessonNumber, v.LessonTitle = st.Lesson.ID, st.Lesson.Number, st.Lesson.Title
	v.Step, v.StepNumber, v.StepTitle = st.ID, st.Number, st.Title
	v.OnStepSeconds = int64(max(0, now.Sub(t.currentSince)) / time.Second)
	v.StepStatus = sp.status
	if sp.checked {
		v.Verdict = statusFailed
		if sp.lastPassed {
			v.Verdict = statusPassed
		}
		for _, id := range sp.failing {
			name := id
			if ch, ok := st.Check(id); ok {
				name = ch.Name()
			}
			v.Failing = append(v.Failing, name)
		}
	}
	v.Waiting = len(isHeld) > 0 && (isHeld[st.Lesson.ID] || doneToHold) && !finished
	v.Stuck = !v.Waiting && !sp.done() && s.StuckAfter > 0 && now.Sub(t.currentSince) >= s.StuckAfter
	return v
}

func machineView(t *Trace, online bool) MachineView {
	m := MachineView{Learner: t.Learner.ID, Name: t.Learner.Name, Online: online}
	r := t.readiness
	if r == nil {
		return m
	}
	m.Reported, m.Docker, m.Engine, m.Version, m.API = true, r.Docker, r.Engine, r.Version, r.API
	m.BuildKit, m.Classic, m.DockerBuild = r.BuildKit, r.Classic, r.DockerBuild
	for _, im := range r.Images {
		switch {
		case im.State == "other-digest":
			m.OtherDigest = append(m.OtherDigest, im.Ref)
		case im.State == "pinned", im.State == "present", im.State == "" && im.Present:
			m.Present++
		default:
			m.Missing = append(m.Missing, im.Ref)
		}
	}
	m.Ready = r.Docker && (r.BuildKit || r.Classic) && len(m.Missing) == 0 && len(m.OtherDigest) == 0
	return m
}

// Grades are the grade rows of every learner (in the room's order) and
// every step of the course (in course order), at now.
func Grades(c *lessons.Course, traces []*Trace, now time.Time) []grades.Row {
	var rows []grades.Row
	for _, t := range sorted(traces) {
		for _, st := range c.Steps() {
			row := grades.Row{Learner: t.Learner.ID, Name: t.Learner.Name, Lesson: st.Lesson.ID, Step: st.ID, Number: st.Number, Title: st.Title}
			if sp := t.steps[st.ID]; sp != nil {
				row.Status, row.PassedAt = sp.status, sp.passedAt
				row.Attempts, row.HintsUsed, row.SolutionShown = sp.attempts(), sp.hints, sp.solution
				switch {
				case !sp.passedAt.IsZero():
					row.TimeOnStep = sp.passedAt.Sub(sp.began)
				case !sp.began.IsZero():
					row.TimeOnStep = now.Sub(sp.began)
				}
				row.TimeOnStep = max(0, row.TimeOnStep)
			}
			rows = append(rows, row)
		}
	}
	return rows
}
