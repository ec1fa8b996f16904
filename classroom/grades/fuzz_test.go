package grades

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dockertutor/dockertutor/report"
)

// FuzzWrite holds every writer to any row: no panic, and what it writes
// parses back as its format, with the row in it.
func FuzzWrite(f *testing.F) {
	for _, name := range hostileNames {
		f.Add("ada-3f9a2c", name, "leaks", "2.1", name, "failed", 3, 1, true, int64(1e18), int64(90e9))
	}
	f.Add("", "", "", "", "", "", 0, 0, false, int64(0), int64(-1))
	f.Add("\x00", "\xff\xfe", "]]>", "\r\n", "\u2028", "skipped", -1, 1<<40, false, int64(-1e18), int64(1<<62))
	f.Fuzz(func(t *testing.T, learner, name, lesson, number, title, status string, attempts, hints int, solution bool, passedAt, onStep int64) {
		r := Row{Learner: learner, Name: name, Lesson: lesson, Step: "s", Number: number, Title: title, Status: status,
			Attempts: attempts, HintsUsed: hints, SolutionShown: solution, TimeOnStep: time.Duration(onStep)}
		if passedAt != 0 {
			r.PassedAt = time.Unix(0, passedAt)
		}
		s := Sheet{Course: lesson, Generated: time.Unix(0, passedAt/2), Rows: []Row{r, r}}
		out := map[Format][]byte{}
		for _, format := range Formats {
			var b bytes.Buffer
			if err := Write(&b, format, s); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out[format] = b.Bytes()
		}

		records, err := csv.NewReader(bytes.NewReader(out[CSV])).ReadAll()
		if err != nil || len(records) != 3 || len(records[1]) != len(csvHeader) {
			t.Fatalf("csv: %v %q", err, records)
		}
		if utf8.ValidString(name) && !strings.Contains(name, "\r") && records[1][1] != cell(name) {
			t.Errorf("csv: name %q read back as %q", name, records[1][1])
		}

		var doc report.Grades
		if err := report.Read(bytes.NewReader(out[JSON]), &doc); err != nil || len(doc.Rows) != 2 {
			t.Fatalf("json: %v %+v", err, doc)
		}
		if utf8.ValidString(name) && doc.Rows[0].Name != name {
			t.Errorf("json: name %q read back as %q", name, doc.Rows[0].Name)
		}

		var suites junitSuites
		if err := xml.Unmarshal(out[JUnit], &suites); err != nil || suites.Tests != 2 || len(suites.Suites) != 1 {
			t.Fatalf("junit: %v %+v\n%s", err, suites, out[JUnit])
		}
		if got, want := suites.Suites[0].Properties[1].Value, strings.ReplaceAll(xmlText(name), "\r\n", "\n"); got != want && got != strings.ReplaceAll(want, "\r", "\n") {
			t.Errorf("junit: name %q read back as %q", name, got)
		}

		var result classroomResult
		if err := json.Unmarshal(out[GitHubClassroom], &result); err != nil {
			t.Fatalf("github-classroom: %v", err)
		}
		if want := 2; r.Skipped() {
			want = 0
			if len(result.Tests) != want {
				t.Errorf("github-classroom: %d tests, want %d", len(result.Tests), want)
			}
		} else if len(result.Tests) != want || result.MaxScore != want {
			t.Errorf("github-classroom: %+v", result)
		}
	})
}
