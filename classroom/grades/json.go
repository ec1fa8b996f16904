package grades

import (
	"io"

	"github.com/dockertutor/dockertutor/report"
)

func writeJSON(w io.Writer, s Sheet) error {
	doc := report.Grades{Course: s.Course, Generated: toTheSecond(s.Generated), Rows: make([]report.Grade, 0, len(s.Rows))}
	for _, r := range s.Rows {
		g := report.Grade{
			Learner: r.Learner, Name: r.Name, Lesson: r.Lesson, Step: r.Step, Number: r.Number, Title: r.Title,
			Status: r.StatusWord(), Passed: r.Passed(), Attempts: r.Attempts, HintsUsed: r.HintsUsed,
			SolutionShown: r.SolutionShown, TimeOnStepSeconds: seconds(r.TimeOnStep),
		}
		if !r.PassedAt.IsZero() {
			g.PassedAt = toTheSecond(r.PassedAt)
		}
		doc.Rows = append(doc.Rows, g)
	}
	return report.Write(w, &doc)
}
