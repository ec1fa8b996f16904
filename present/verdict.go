package present

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
)

// Verdict is a step's verdict laid out for reading: a summary, then each
// check with its evidence. When Docker did not answer, the sentence every
// check that needed it would say is said once (DockerError), with the
// checks it stopped (NotChecked), and Checks holds only the others.
type Verdict struct {
	Summary Line
	// SummaryMark is the mark before the summary; nil when Docker did not
	// answer (nothing was judged).
	SummaryMark *Mark
	// Next is what to do after a pass, in this front end; "" otherwise.
	Next string

	Unreachable bool
	DockerError string
	NotChecked  string

	Checks []CheckLines
}

// CheckLines is one check as it is shown: its mark and message, then a
// line for each piece of evidence.
type CheckLines struct {
	// ID is the check's id in the step, for front ends that name it.
	ID       string
	Mark     Mark
	Text     string
	Evidence []EvidenceLine
}

// EvidenceLine is one place a check looked at and what it saw there.
type EvidenceLine struct {
	// Place ends with the colon; front ends may style it apart.
	Place  string
	Detail string
}

// String is the line as plain text.
func (e EvidenceLine) String() string { return e.Place + " " + e.Detail }

// Line is one line of text and what it is.
type Line struct {
	Text string
	Role Role
}

// The indents of a verdict's lines, for front ends that wrap them: a
// check's message hangs under its mark, evidence sits below the message.
const (
	CheckHang      = "  "
	EvidenceIndent = "    "
	EvidenceHang   = "      "
)

// LayOut words a verdict for a front end.
func LayOut(v check.Verdict, f Front) Verdict {
	w := wordingOf(v)
	out := Verdict{Summary: Line{Text: w.summary, Role: w.role}}
	switch {
	case v.Unreachable():
		out.Unreachable = true
		var notChecked []string
		for _, r := range v.Results {
			if r.Outcome != check.Error {
				out.Checks = append(out.Checks, checkLines(r))
				continue
			}
			if out.DockerError == "" {
				out.DockerError = plainText(r.Message)
			}
			notChecked = append(notChecked, r.ID)
		}
		out.NotChecked = "Not checked: " + strings.Join(notChecked, ", ") + "."
		return out
	case v.Passed:
		m := OutcomeMark(check.Pass)
		out.SummaryMark, out.Next = &m, nextStep(f)
	default:
		m := OutcomeMark(check.Fail)
		out.SummaryMark = &m
	}
	for _, r := range failingFirst(v.Results) {
		out.Checks = append(out.Checks, checkLines(r))
	}
	return out
}

// failingFirst orders results for reading: what did not pass comes first
// (failed, then those that could not be judged), then what passed, each in
// the step's order.
func failingFirst(results []check.Result) []check.Result {
	rank := func(o check.Outcome) int {
		switch o {
		case check.Fail:
			return 0
		case check.Pass:
			return 2
		}
		return 1 // an error, or an outcome this build does not know
	}
	out := slices.Clone(results)
	slices.SortStableFunc(out, func(a, b check.Result) int { return rank(a.Outcome) - rank(b.Outcome) })
	return out
}

// plainText drops the markup of a check's message, which is written as
// markdown but shown as plain text.
func plainText(s string) string { return lessons.PlainText(s) }

func checkLines(r check.Result) CheckLines {
	c := CheckLines{ID: r.ID, Mark: OutcomeMark(r.Outcome), Text: plainText(r.Message)}
	for _, e := range r.Evidence {
		c.Evidence = append(c.Evidence, EvidenceLine{Place: e.Where + ":", Detail: e.Detail})
	}
	return c
}

// wording is how a verdict reads: in a sentence, in a few words, and
// what it is.
type wording struct {
	summary, word string
	role          Role
}

func wordingOf(v check.Verdict) wording {
	switch {
	case v.Unreachable():
		return wording{"Docker did not answer, so nothing was checked or recorded.", "Docker did not answer", RoleErrored}
	case v.Passed:
		return wording{"Step passed.", StatusMark(progress.Passed).Word, RolePassed}
	}
	failed := 0
	for _, r := range v.Results {
		if r.Outcome != check.Pass {
			failed++
		}
	}
	return wording{fmt.Sprintf("Not yet: %d of %d checks did not pass.", failed, len(v.Results)), StatusMark(progress.Failed).Word, RoleFailed}
}

// Word is a verdict in a few words, for a line that repeats one.
func Word(v check.Verdict) string { return wordingOf(v).word }

func nextStep(f Front) string {
	switch f {
	case FullScreen:
		return "Press n for the next step."
	case PlainMode:
		return "Type n for the next step."
	}
	return ""
}

// fixLabel comes before the advice for a daemon that does not answer.
const fixLabel = "To fix it:"

// Fix is the advice for a daemon that does not answer, "" without one;
// advice of several lines (one fix a line) starts on a line of its own.
func Fix(fix string) string {
	switch {
	case fix == "":
		return ""
	case strings.Contains(fix, "\n"):
		return fixLabel + "\n" + fix
	}
	return fixLabel + " " + fix
}

// CheckFailed says why a check could not run at all, or that it was
// aborted (the learner cancelled it): either way nothing was recorded.
func CheckFailed(err error, f Front) string {
	if !errors.Is(err, context.Canceled) {
		return "The check could not run: " + err.Error()
	}
	s := "The check was aborted: nothing was recorded."
	switch f {
	case FullScreen:
		s += " Press c to check again."
	case PlainMode:
		s += " Type c to check again."
	}
	return s
}

// CheckAborted is the short line for a check the learner cancelled.
const CheckAborted = "Check aborted."

// Arrival is the short line a front end flashes as a verdict arrives, ""
// when it needs none: a daemon that did not answer, or a step that has
// just passed. last says the step is the course's last.
func Arrival(v check.Verdict, wasPassed bool, number string, last bool, f Front) (string, Role) {
	switch {
	case v.Unreachable():
		return wordingOf(v).word + ": nothing was checked.", RoleErrored
	case v.Passed && !wasPassed:
		next := nextStep(f)
		if last && next != "" {
			next = strings.Replace(next, "the next step", "the course summary", 1)
		}
		return strings.TrimSpace(fmt.Sprintf("Step %s passed! %s", number, next)), RolePassed
	}
	return "", RoleText
}
