package grades

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// csvHeader names the columns of the CSV export, one row per learner and
// step.
var csvHeader = []string{
	"learner", "name", "lesson", "step", "number", "title", "status", "passed",
	"passed_at", "attempts", "hints_used", "solution_shown", "time_on_step_seconds",
}

func writeCSV(w io.Writer, s Sheet) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range s.Rows {
		record := []string{
			cell(r.Learner), cell(r.Name), cell(r.Lesson), cell(r.Step), cell(r.Number), cell(r.Title),
			cell(r.StatusWord()), strconv.FormatBool(r.Passed()), stamp(r.PassedAt),
			strconv.Itoa(r.Attempts), strconv.Itoa(r.HintsUsed), strconv.FormatBool(r.SolutionShown),
			strconv.FormatInt(seconds(r.TimeOnStep), 10),
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (OWASP, "CSV Injection"), with the full-width forms
// some locales of Excel take as the same.
const formulaStarts = "=+-@\t\r＝＋－＠"

// cell is a text cell that a spreadsheet shows as text: one that would
// start a formula gets a leading single quote. encoding/csv quotes the
// rest (commas, quotes, line breaks).
func cell(s string) string {
	if first, _ := utf8.DecodeRuneInString(s); s != "" && strings.ContainsRune(formulaStarts, first) {
		return "'" + s
	}
	return s
}
