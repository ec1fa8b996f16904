// Package grades is how a learner's work in a course comes out as grades:
// one Row per learner and step, and the one writer of each export format
// (CSV, JSON, JUnit XML, GitHub Classroom's autograding result). The class
// server's export and `dockertutor report` for one learner both write
// through it, so a row means the same wherever it is read.
package grades

import (
	"fmt"
	"io"
	"time"
)

// Row is one learner in one step.
type Row struct {
	// Learner is the learner's id; Name the display name they chose
	// (untrusted text: every writer escapes it for its format).
	Learner string
	Name    string
	// Lesson and Step are ids in the course; Number ("4.2") and Title
	// are the step's.
	Lesson string
	Step   string
	Number string
	Title  string
	// Status is the step's: "passed", "failed", "started", "skipped" or
	// "" (not started).
	Status string
	// PassedAt is when the step first passed; zero when it never did.
	PassedAt time.Time
	// Attempts counts the checks of the step and the answers given.
	Attempts      int
	HintsUsed     int
	SolutionShown bool
	// TimeOnStep is from opening the step to its first pass, or to now
	// (the export's time) when it has not passed.
	TimeOnStep time.Duration
}

// Format is an export format.
type Format string

const (
	CSV             Format = "csv"
	JSON            Format = "json"
	JUnit           Format = "junit"
	GitHubClassroom Format = "github-classroom"
)

// Write writes rows in format.
func Write(w io.Writer, format Format, rows []Row) error {
	return fmt.Errorf("export format %q is not written yet", format)
}
