package grades

import (
	"encoding/json"
	"fmt"
	"io"
)

// classroomResult is the result a GitHub Classroom grader action hands
// to the autograding reporter, as the reporter reads it:
// github-education-resources/autograding-grading-reporter, src/main.js
// (parseRunnerResults: the JSON, base64-encoded, in the environment
// variable <RUNNER>_RESULTS), src/notify-classroom.js (the points are
// the sum of the tests' scores out of max_score), src/console-results.js
// and src/aggregate-results.js (a test passed when its status is "pass";
// the message is shown for the others). The fields are those
// classroom-resources/autograding-io-grader writes (src/main.js).
type classroomResult struct {
	Version int `json:"version"`
	// Status is "pass" or "fail"; the reporter fails the workflow step
	// on "fail" (and on "error", which no grade is).
	Status   string          `json:"status"`
	MaxScore int             `json:"max_score"`
	Tests    []classroomTest `json:"tests"`
}

type classroomTest struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Score   int    `json:"score"`
	Message string `json:"message"`
}

// writeClassroom writes one learner's result: a test per step, a point
// per step passed, out of one point per step. An optional step the
// learner skipped is left out: the course let them, and the reporter has
// no status for it.
func writeClassroom(w io.Writer, s Sheet) error {
	doc := classroomResult{Version: 1, Status: "pass", Tests: []classroomTest{}}
	for i, r := range s.Rows {
		if r.Learner != s.Rows[0].Learner {
			return fmt.Errorf("a GitHub Classroom result is one learner's, and the rows are of %s and %s: export the class as csv, json or junit", s.Rows[0].Learner, s.Rows[i].Learner)
		}
		if r.Skipped() {
			continue
		}
		t := classroomTest{Name: caseName(r), Status: "fail", Message: r.Summary()}
		if r.Passed() {
			t.Status, t.Score = "pass", 1
		} else {
			doc.Status = "fail"
		}
		doc.MaxScore++
		doc.Tests = append(doc.Tests, t)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
