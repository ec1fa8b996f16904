// Package grades is how a learner's work in a course comes out as grades:
// one Row per learner and step, and the one writer of each export format
// (CSV, JSON, JUnit XML, GitHub Classroom's autograding result). The class
// server's export and `dockertutor report` for one learner both write
// through it, so a row means the same wherever it is read.
//
// Display names, and every other text in a row, are untrusted: each writer
// makes them safe for its format (a spreadsheet formula in CSV, markup and
// characters XML cannot hold in JUnit), whatever the caller cleaned before.
package grades

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/report"
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

// Sheet is what an export holds: the rows of one course as they stood
// at one time.
type Sheet struct {
	Course string
	// Generated is when the rows were taken (the "now" of TimeOnStep).
	Generated time.Time
	Rows      []Row
}

// Format is an export format.
type Format string

const (
	CSV             Format = "csv"
	JSON            Format = "json"
	JUnit           Format = "junit"
	GitHubClassroom Format = "github-classroom"
)

// Formats are the formats Write writes, in the order a help text lists them.
var Formats = []Format{CSV, JSON, JUnit, GitHubClassroom}

// ParseFormat is the format a command line names, or an error that lists
// the formats there are.
func ParseFormat(name string) (Format, error) {
	for _, f := range Formats {
		if string(f) == name {
			return f, nil
		}
	}
	return "", unknownFormat(name)
}

func unknownFormat(name string) error {
	return fmt.Errorf("unknown format %q: the formats are %s", name, FormatList())
}

// FormatList names the formats for a help text: "csv, json, …".
func FormatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// Write writes the sheet in format.
func Write(w io.Writer, format Format, s Sheet) error {
	switch format {
	case CSV:
		return writeCSV(w, s)
	case JSON:
		return writeJSON(w, s)
	case JUnit:
		return writeJUnit(w, s)
	case GitHubClassroom:
		return writeClassroom(w, s)
	}
	return unknownFormat(string(format))
}

// Passed says whether the step stands passed: its latest verdict passed.
// A step that passed once and fails now is not (PassedAt keeps when it
// first did), as in the learner's own outline.
func (r Row) Passed() bool { return r.Status == report.StatusPassed }

// Skipped says whether the learner left the step out (an optional one).
func (r Row) Skipped() bool { return r.Status == report.StatusSkipped }

// StatusWord is the row's status as every export writes it: the words of
// the learner's outline (`list --json`), "not-started" for a step never
// opened.
func (r Row) StatusWord() string {
	if r.Status == "" {
		return report.StatusNotStarted
	}
	return r.Status
}

// Summary says in one line how the learner fared in the step, for the
// message of a JUnit failure and of a GitHub Classroom test: "failed: 3
// attempts, 2 hints used, solution shown", "not started" (a step never
// opened, with no hint taken either).
func (r Row) Summary() string {
	if r.Status == "" && r.Attempts == 0 && r.HintsUsed == 0 && !r.SolutionShown {
		return "not started"
	}
	parts := []string{plural(r.Attempts, "attempt"), plural(r.HintsUsed, "hint") + " used"}
	if r.SolutionShown {
		parts = append(parts, "solution shown")
	}
	return r.StatusWord() + ": " + strings.Join(parts, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// seconds is a duration in whole seconds, as every export writes it; a
// negative one (a clock set back) is 0.
func seconds(d time.Duration) int64 {
	return max(0, int64(d/time.Second))
}

// stamp is a time as every export writes it: RFC 3339 in UTC to the
// second, empty for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return toTheSecond(t).Format(time.RFC3339)
}

// toTheSecond is t in UTC, to the whole second.
func toTheSecond(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// caseName is how a step is named as a test: "4.2 Fix the Dockerfile".
func caseName(r Row) string {
	return strings.TrimSpace(r.Number + " " + r.Title)
}
