// Package room derives what an instructor sees of a class from what its
// learners reported: the room (each learner's step, progress, last
// verdict, a stuck mark), the steps (how the room fares on each, which
// check fails for how many), the machines' readiness, and the grade rows
// of the export. It is pure: no I/O, no clock but the one it is handed.
//
// A learner's events fold into a Trace one at a time (Apply), so the
// server keeps the room current per event instead of rereading the
// database; Build turns the traces into the Room document at a moment.
package room

import (
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/lessons"
)

// Format is the format and version of the Room document.
const Format = "dockertutor.room/1"

// OnlineWithin is how recently a learner's tutor must have been heard
// from to count as online: it posts at least every ~15 s.
const OnlineWithin = 45 * time.Second

// Room is the class as the instructor sees it at one moment.
type Room struct {
	Format string    `json:"format"`
	At     time.Time `json:"at"`
	Class  Class     `json:"class"`
	// Total is the number of steps in the course.
	Total     int           `json:"total"`
	Learners  []LearnerView `json:"learners"`
	Steps     []StepView    `json:"steps"`
	Readiness []MachineView `json:"readiness"`
}

// Class is the class's settings as the room shows them.
type Class struct {
	Code        string `json:"code"`
	Title       string `json:"title"`
	Course      string `json:"course"`
	CourseTitle string `json:"course_title"`
	// HoldLesson is the id of the last lesson learners may work in ("" =
	// nothing held); HoldTitle its title.
	HoldLesson        string `json:"hold_lesson,omitempty"`
	HoldTitle         string `json:"hold_title,omitempty"`
	Message           string `json:"message,omitempty"`
	StuckAfterSeconds int    `json:"stuck_after_seconds"`
}

// Settings are what Build needs of the class besides the course.
type Settings struct {
	Code, Title string
	HoldLesson  string
	Message     string
	StuckAfter  time.Duration
}

// LearnerView is one learner in the room.
type LearnerView struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Online   bool      `json:"online"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Seq is the seq of the learner's last event the room took in: it
	// tells which of their reports a row shows (two verdicts on a step
	// can look the same), and whether a report has reached the room.
	Seq int64 `json:"seq"`
	// The current step: the one the learner last opened ("" before any).
	Lesson       string `json:"lesson,omitempty"`
	LessonNumber int    `json:"lesson_number,omitempty"`
	LessonTitle  string `json:"lesson_title,omitempty"`
	Step         string `json:"step,omitempty"`
	StepNumber   string `json:"step_number,omitempty"`
	StepTitle    string `json:"step_title,omitempty"`
	// OnStepSeconds is how long the current step has been current.
	OnStepSeconds int64 `json:"on_step_seconds"`
	// StepStatus is the current step's status (as grades.Row.Status).
	StepStatus string `json:"step_status,omitempty"`
	// Verdict is the current step's last verdict: "passed", "failed" or
	// "" (not checked yet); Failing names the checks that did not pass,
	// by title.
	Verdict string   `json:"verdict,omitempty"`
	Failing []string `json:"failing,omitempty"`
	// Passed of Total steps passed.
	Passed int `json:"passed"`
	Total  int `json:"total"`
	// HintsUsed over the whole course; SolutionsShown the steps whose
	// solution the learner asked for.
	HintsUsed      int `json:"hints_used"`
	SolutionsShown int `json:"solutions_shown"`
	// Stuck: on the current step longer than the class's stuck time
	// without passing it.
	Stuck bool `json:"stuck"`
	// Waiting: done with every step up to the held lesson, or in a held
	// step: waiting for the next lesson to open (never stuck).
	Waiting bool `json:"waiting"`
	// Finished: every step of the course done.
	Finished bool `json:"finished"`
}

// StepView is how the room fares on one step.
type StepView struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Title  string `json:"title"`
	Lesson string `json:"lesson"`
	// Held: the step's lesson is after the held one.
	Held bool `json:"held"`
	// Passed counts learners for whom the step is passed; Working those
	// on it now and not stuck; Stuck those on it and stuck.
	Passed  int `json:"passed"`
	Working int `json:"working"`
	Stuck   int `json:"stuck"`
	// Failing are the checks that failed in learners' last verdict on
	// the step (those for whom it is failed now), most learners first.
	Failing []CheckCount `json:"failing,omitempty"`
}

// CheckCount is a check and how many learners it fails for.
type CheckCount struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Learners int    `json:"learners"`
}

// MachineView is one learner's machine, from the readiness they
// reported.
type MachineView struct {
	Learner string `json:"learner"`
	Name    string `json:"name"`
	Online  bool   `json:"online"`
	// Reported: the learner's tutor sent a readiness; nothing else here
	// means anything when it did not.
	Reported    bool   `json:"reported"`
	Docker      bool   `json:"docker"`
	Engine      string `json:"engine,omitempty"`
	Version     string `json:"version,omitempty"`
	API         string `json:"api,omitempty"`
	BuildKit    bool   `json:"buildkit"`
	Classic     bool   `json:"classic"`
	DockerBuild string `json:"docker_build,omitempty"`
	// Present counts the course's images there as the course wants them:
	// at their pinned digest (or under their tag, for a pack that pins
	// none, or from a tutor too old to say).
	Present int `json:"images_present"`
	// OtherDigest are the images whose tag is there at another digest
	// than the course pins: `dockertutor prepare` fixes them.
	OtherDigest []string `json:"images_other_digest,omitempty"`
	// Missing are the images not there, or not known to be.
	Missing []string `json:"images_missing,omitempty"`
	// Ready: Docker answers, a builder is there and every image is at its
	// pin.
	Ready bool `json:"ready"`
}

// Learner is what the store knows of a learner besides their events.
type Learner struct {
	ID, Name         string
	Joined, LastSeen time.Time
}

// Derive is Build over learners whose events are all at hand: the pure
// derivation, for tests and for a server that rereads everything.
func Derive(c *lessons.Course, s Settings, learners []Learner, events map[string][]wire.Event, now time.Time) Room {
	traces := make([]*Trace, 0, len(learners))
	for _, l := range learners {
		t := NewTrace(l)
		for _, e := range events[l.ID] {
			t.Apply(c, e)
		}
		traces = append(traces, t)
	}
	return Build(c, s, traces, now)
}
