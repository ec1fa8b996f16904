package lessons

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Problem is one thing wrong with a course pack, pointing at file:line.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// Problems is every problem found in a pack, in file and line order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(file string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (ps Problems) sorted() Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return ps
}

// Warnings are what `course lint` says about a pack that is valid but
// needs its author's look on the day: a check with no title, a release
// table that may be out of date.
func (c *Course) Warnings(day time.Time) Problems {
	ps := slices.Clone(c.warnings)
	ps = append(ps, c.Releases.Warnings(day)...)
	return ps.sorted()
}
