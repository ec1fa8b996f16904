package tui

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// This file turns what the tutor knows into the markdown the text pane and
// the plain mode render: the welcome, a step, a solution, the summary.

// stepInfo is what the text pane needs to know about a step, gathered in a
// command because the session may read the disk to answer.
type stepInfo struct {
	step   *lessons.Step
	values lessons.Values
	// text is the step's markdown with the learner's values filled in.
	text    string
	textErr error
	hints   []string // the hints revealed so far
	// action is the equivalent docker command of the step's action, "" if none.
	action string
}

// mainFile is the file `e` opens, "" if the step has none.
func (i stepInfo) mainFile() string {
	if i.step == nil || i.step.Main == "" || i.values.Workdir == "" {
		return ""
	}
	return i.values.Workdir + "/" + i.step.Main
}

// welcomeInfo is what the first-run welcome shows.
type welcomeInfo struct {
	workspace    string
	progressPath string
	first        *lessons.Step
}

func stepDoc(info stepInfo, p progress.Progress, last bool) string {
	st := info.step
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", st.Number, st.Title)
	if info.textErr != nil {
		fmt.Fprintf(&b, "This step's text could not be filled in: %v\n\n", info.textErr)
	} else {
		b.WriteString(strings.TrimSpace(info.text))
		b.WriteString("\n\n")
	}
	sp := p.Steps[st.ID]
	switch st.Kind {
	case lessons.KindQuiz:
		if st.Quiz != nil {
			for _, c := range st.Quiz.Choices {
				fmt.Fprintf(&b, "- **%s** %s\n", c.ID, c.Text)
			}
			b.WriteString("\n")
			how := "the letter of your choice"
			if st.Quiz.Multiple {
				how = "every right letter, such as `a,c`"
			}
			fmt.Fprintf(&b, "Press **a** and type %s.\n\n", how)
		}
		if sp != nil && len(sp.Answer) > 0 {
			fmt.Fprintf(&b, "Your answer: **%s**\n\n", strings.Join(sp.Answer, ","))
		}
	case lessons.KindAnswer:
		b.WriteString("Press **a** to type your answer.\n\n")
		if sp != nil && len(sp.Answer) > 0 {
			fmt.Fprintf(&b, "Your answer: `%s`\n\n", strings.Join(sp.Answer, " "))
		}
	case lessons.KindExercise:
		if info.values.Workdir != "" {
			fmt.Fprintf(&b, "**Your folder:** `%s`\n\n", info.values.Workdir)
		}
		if info.action != "" {
			fmt.Fprintf(&b, "Press **r** to run, or type it yourself:\n\n%s\n", fence(info.action, "sh"))
		}
	}
	if len(info.hints) > 0 {
		b.WriteString("## Hints\n\n")
		for i, h := range info.hints {
			fmt.Fprintf(&b, "%d. %s\n", i+1, h)
		}
		if left := len(st.Hints) - len(info.hints); left > 0 {
			fmt.Fprintf(&b, "\n%s more: press **h**.\n", plural(left, "hint", "hints"))
		}
		b.WriteString("\n")
	} else if len(st.Hints) > 0 {
		fmt.Fprintf(&b, "_%s available: press **h**._\n\n", plural(len(st.Hints), "hint", "hints"))
	}
	if last {
		b.WriteString("---\n\nThis is the last step. Press **n** for a summary of the course.\n")
	}
	return b.String()
}

func welcomeDoc(c *lessons.Course, w welcomeInfo, docker tutor.DockerStatus, dockerKnown bool, k KeyMap) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Welcome to %s\n\n", c.Title)
	if c.Summary != "" {
		b.WriteString(strings.TrimSpace(c.Summary) + "\n\n")
	}
	steps := c.Steps()
	fmt.Fprintf(&b, "%s in %s. You do each exercise on your own Docker daemon; the tutor checks the real result.\n\n",
		capitalize(plural(len(steps), "step", "steps")), plural(len(c.Lessons), "lesson", "lessons"))
	fmt.Fprintf(&b, "- **Workspace:** `%s`, one folder per step. Open it in your editor and terminal, or press **e** and **t** here.\n", w.workspace)
	if w.progressPath != "" {
		fmt.Fprintf(&b, "- **Progress:** saved in `%s`; next time you start where you left off.\n", w.progressPath)
	}
	b.WriteString("- **Docker:** " + dockerLine(docker, dockerKnown) + "\n\n")
	b.WriteString(dockerAdvice(docker, dockerKnown))
	b.WriteString("## Moving around\n\n")
	for _, kb := range [][2]string{
		{keyHelp(k.Next) + " / " + keyHelp(k.Prev), "next and previous step"},
		{"j k ↑ ↓ pgup pgdn", "scroll; the mouse wheel works too"},
		{keyHelp(k.Focus), "move between the panes"},
		{keyHelp(k.Run) + " " + keyHelp(k.Check), "run the step's action, check your work now"},
		{keyHelp(k.Hint) + " " + keyHelp(k.Solution), "next hint, reference solution"},
		{keyHelp(k.Edit) + " " + keyHelp(k.Shell), "edit the step's file, open a shell in its folder"},
		{keyHelp(k.Help), "every key; the bar at the bottom shows the keys that work now"},
	} {
		fmt.Fprintf(&b, "- **%s** %s\n", kb[0], kb[1])
	}
	b.WriteString("\nThe tutor watches your step folder and your daemon: build in another terminal and the verdict appears here by itself.\n\n")
	if w.first != nil {
		fmt.Fprintf(&b, "Press **enter** or **n** to begin with step %s, *%s*.\n", w.first.Number, w.first.Title)
	}
	return b.String()
}

// dockerLine says in one sentence whether Docker answers.
func dockerLine(d tutor.DockerStatus, known bool) string {
	switch {
	case !known:
		return "asking whether Docker answers…"
	case d.Reachable:
		s := fmt.Sprintf("answers at `%s`", d.Endpoint)
		var facts []string
		if d.Version != "" {
			facts = append(facts, "Engine "+d.Version)
		}
		if d.API != "" {
			facts = append(facts, "API "+d.API)
		}
		if d.Builder != "" {
			facts = append(facts, "builder "+d.Builder)
		}
		if len(facts) > 0 {
			s += " (" + strings.Join(facts, ", ") + ")"
		}
		return s + "."
	}
	where := "where it was looked for"
	if d.Endpoint != "" {
		where = "at `" + d.Endpoint + "`"
	}
	s := "**does not answer** " + where
	if d.Source != "" {
		s += " (from " + d.Source + ")"
	}
	return s + "."
}

// dockerAdvice is the doctor's diagnosis and fix when Docker does not
// answer, as paragraphs; empty otherwise.
func dockerAdvice(d tutor.DockerStatus, known bool) string {
	if !known || d.Reachable {
		return ""
	}
	var b strings.Builder
	if d.Problem != "" {
		fmt.Fprintf(&b, "%s\n\n", d.Problem)
	}
	if d.Fix != "" {
		fmt.Fprintf(&b, "**To fix it:** %s\n\n", d.Fix)
	}
	b.WriteString("You can read the steps meanwhile; the tutor notices when Docker is back.\n\n")
	return b.String()
}

func solutionDoc(st *lessons.Step, files map[string]string, canApply bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Reference solution: %s %s\n\n", st.Number, st.Title)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		b.WriteString("This step has no solution files.\n\n")
	}
	for _, n := range names {
		fmt.Fprintf(&b, "**%s**\n\n%s\n", n, fence(files[n], langOf(n)))
	}
	if canApply {
		b.WriteString("Press **s** again to put this solution in your step folder and run it (your files are backed up first). ")
	}
	b.WriteString("Press **esc** to go back to the step.\n")
	return b.String()
}

func summaryDoc(c *lessons.Course, p progress.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Course summary: %s\n\n", c.Title)
	total, passed, hints, solutions := 0, 0, 0, 0
	var missing []*lessons.Step
	for _, st := range c.Steps() {
		if sp, ok := p.Steps[st.ID]; ok {
			hints += sp.HintsUsed
			if sp.SolutionSeen {
				solutions++
			}
		}
		if st.Optional {
			if p.StatusOf(st.ID) == progress.Passed {
				passed++
				total++
			}
			continue
		}
		total++
		if p.StatusOf(st.ID) == progress.Passed {
			passed++
		} else {
			missing = append(missing, st)
		}
	}
	if len(missing) == 0 {
		fmt.Fprintf(&b, "**You passed every step** (%d of %d).", passed, total)
	} else {
		fmt.Fprintf(&b, "You passed **%d of %d** steps.", passed, total)
	}
	fmt.Fprintf(&b, " You used %s", plural(hints, "hint", "hints"))
	if solutions > 0 {
		fmt.Fprintf(&b, " and looked at %s", plural(solutions, "reference solution", "reference solutions"))
	}
	b.WriteString(".\n\n")
	for _, l := range c.Lessons {
		done := 0
		for _, st := range l.Steps {
			if p.StatusOf(st.ID) == progress.Passed {
				done++
			}
		}
		fmt.Fprintf(&b, "## %d %s (%d/%d)\n\n", l.Number, l.Title, done, len(l.Steps))
		if l.Summary != "" {
			b.WriteString(strings.TrimSpace(l.Summary) + "\n\n")
		}
		for _, st := range l.Steps {
			fmt.Fprintf(&b, "- %s %s %s", statusWord(p.StatusOf(st.ID)), st.Number, st.Title)
			if st.Optional {
				b.WriteString(" _(optional)_")
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "Still to do: %s. Press **/** to find a step, or **p** to go back.\n", stepList(missing))
	} else {
		b.WriteString("Well done. Your step folders stay in your workspace; `dockertutor reset --all` removes what the tutor built.\n")
	}
	return b.String()
}

func statusWord(s progress.Status) string {
	switch s {
	case progress.Passed:
		return "✓"
	case progress.Failed:
		return "✗"
	case progress.Started:
		return "•"
	default:
		return "○"
	}
}

func stepList(steps []*lessons.Step) string {
	var ns []string
	for i, st := range steps {
		if i == 8 {
			ns = append(ns, fmt.Sprintf("and %d more", len(steps)-i))
			break
		}
		ns = append(ns, st.Number)
	}
	return strings.Join(ns, ", ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func keyHelp(b key.Binding) string { return b.Help().Key }

// fence wraps text in a code fence longer than any backtick run inside it.
func fence(text, lang string) string {
	n := 3
	for run, i := 0, 0; i < len(text); i++ {
		if text[i] == '`' {
			run++
			n = max(n, run+1)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", n)
	return f + lang + "\n" + strings.TrimRight(text, "\n") + "\n" + f + "\n"
}

func langOf(name string) string {
	base := path.Base(name)
	switch {
	case base == "Dockerfile" || strings.HasSuffix(base, ".Dockerfile") || strings.HasPrefix(base, "Dockerfile."):
		return "dockerfile"
	case strings.HasSuffix(base, ".sh"):
		return "sh"
	case strings.HasSuffix(base, ".yaml"), strings.HasSuffix(base, ".yml"):
		return "yaml"
	case strings.HasSuffix(base, ".json"):
		return "json"
	case strings.HasSuffix(base, ".go"):
		return "go"
	case strings.HasSuffix(base, ".py"):
		return "python"
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }
