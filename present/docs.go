package present

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// The documents are markdown: the terminals render it with glamour, a web
// page with a markdown renderer of its own.

// StepPage is what a step's document is made of, gathered where the
// session can be asked (it may read the disk).
type StepPage struct {
	Step   *lessons.Step
	Values lessons.Values
	// Text is the step's markdown with the learner's values filled in;
	// TextErr says why it could not be.
	Text    string
	TextErr error
	// Hints are the hints revealed so far, filled in.
	Hints []string
	// Action is the docker command equivalent to the step's action, "" if none.
	Action string
	// DockerBuild is what the learner's own `docker build` runs, when the
	// front end knows it ("" otherwise): the action's command may need
	// what it lacks (ActionCommandCaveat).
	DockerBuild engine.LocalBuilder
}

// NewStepPage fills in a step's text with the learner's values.
func NewStepPage(st *lessons.Step, v lessons.Values, hints []string, action string) StepPage {
	text, err := st.Render(v)
	return StepPage{Step: st, Values: v, Text: text, TextErr: err, Hints: hints, Action: action}
}

// MainFile is the file the learner edits in this step, "" if none.
func (s StepPage) MainFile() string {
	if s.Step == nil || s.Step.Main == "" || s.Values.Workdir == "" {
		return ""
	}
	return s.Values.Workdir + "/" + s.Step.Main
}

// MainCommand is the step's main command, the one the copy key copies:
// the docker command equivalent to the step's action, as the step's page
// shows it, else the first shell code block of the step's text (all its
// lines), else "".
func (s StepPage) MainCommand() string {
	if s.Action != "" {
		return s.Action
	}
	if s.TextErr != nil {
		return ""
	}
	for _, b := range lessons.CodeBlocks(s.Text) {
		if b.Shell() {
			return strings.TrimRight(b.Code, "\n")
		}
	}
	return ""
}

// Copied says where the step's command went when the learner copied it.
// file is "" where the terminal takes the clipboard request (OSC 52);
// elsewhere the command is saved in file too, and saveErr says why not.
func Copied(command, file string, saveErr error) string {
	first, _, more := strings.Cut(command, "\n")
	if more {
		first += " …"
	}
	switch {
	case file == "":
		return "Copied to the clipboard: " + first
	case saveErr != nil:
		return "Sent to the clipboard, which this terminal may ignore; saving it in a file failed: " + saveErr.Error()
	}
	return "Sent to the clipboard, which this terminal may ignore; the command is also in " + file
}

// CommandToCopy comes before the step's main command printed alone.
const CommandToCopy = "The step's command, to copy:"

// NoCommand is what copying says on a step without a command to copy.
const NoCommand = "This step has no command to copy."

// StepDoc is a step's document: its title and text, the choices of a
// quiz, the answer given (as p records it), where to work, how to act,
// and the hints revealed. last adds how to see the summary.
func StepDoc(s StepPage, p progress.Progress, last bool, f Front) string {
	st := s.Step
	var answer []string
	if sp := p.Steps[st.ID]; sp != nil {
		answer = sp.Answer
	}
	keys := f != CommandLine
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", st.Number, st.Title)
	if s.TextErr != nil {
		fmt.Fprintf(&b, "This step's text could not be filled in: %v\n\n", s.TextErr)
	} else {
		b.WriteString(strings.TrimSpace(s.Text))
		b.WriteString("\n\n")
	}
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
			if keys {
				fmt.Fprintf(&b, "Press **a** and type %s.\n\n", how)
			} else {
				fmt.Fprintf(&b, "Run `dockertutor answer %s` with %s.\n\n", st.ID, how)
			}
		}
		if len(answer) > 0 {
			fmt.Fprintf(&b, "Your answer: **%s**\n\n", strings.Join(answer, ","))
		}
	case lessons.KindAnswer:
		if keys {
			b.WriteString("Press **a** to type your answer.\n\n")
		} else {
			fmt.Fprintf(&b, "Run `dockertutor answer %s` with your answer.\n\n", st.ID)
		}
		if len(answer) > 0 {
			fmt.Fprintf(&b, "Your answer: `%s`\n\n", strings.Join(answer, " "))
		}
	case lessons.KindExercise:
		if s.Values.Workdir != "" {
			fmt.Fprintf(&b, "**Your folder:** `%s`\n\n", s.Values.Workdir)
		}
		if s.Action != "" {
			caveat := ActionCommandCaveat(st, s.DockerBuild)
			if keys {
				fmt.Fprintf(&b, "Press **r** to run, or type it yourself%s:\n\n", caveat)
			} else {
				fmt.Fprintf(&b, "Run `dockertutor run %s`, or type it yourself%s:\n\n", st.ID, caveat)
			}
			b.WriteString(fence(s.Action, "sh") + "\n")
		}
	}
	hint := "press **h**"
	if !keys {
		hint = "`dockertutor hint " + st.ID + "`"
	}
	if len(s.Hints) > 0 {
		b.WriteString("## Hints\n\n")
		for i, h := range s.Hints {
			fmt.Fprintf(&b, "%d. %s\n", i+1, h)
		}
		if left := len(st.Hints) - len(s.Hints); left > 0 {
			fmt.Fprintf(&b, "\n%s more: %s.\n", plural(left, "hint", "hints"), hint)
		}
		b.WriteString("\n")
	} else if len(st.Hints) > 0 {
		fmt.Fprintf(&b, "_%s available: %s._\n\n", plural(len(st.Hints), "hint", "hints"), hint)
	}
	if last {
		if keys {
			b.WriteString("---\n\nThis is the last step. Press **n** for a summary of the course.\n")
		} else {
			b.WriteString("---\n\nThis is the last step. `dockertutor list` shows where you stand.\n")
		}
	}
	return b.String()
}

// Welcome is what the first-run welcome shows.
type Welcome struct {
	Course       *lessons.Course
	Workspace    string
	ProgressPath string
	// Learner is the learner id, in the names of their Docker objects.
	Learner string
	Docker  tutor.DockerStatus
	// DockerKnown is false while the daemon has not been asked yet.
	DockerKnown bool
	First       *lessons.Step
	Keys        Keys
}

// Keys names the keys, or the command letters, of a front end, for the
// welcome's list of them; a key left empty is not listed.
type Keys struct {
	Next, Prev, Scroll, Focus  string
	Run, Check, Hint, Solution string
	Edit, Shell, Help, Quit    string
	Sideways, Copy             string
}

// WelcomeDoc is the welcome of a learner's first run, for the full screen
// or the plain mode.
func WelcomeDoc(w Welcome, f Front) string {
	c := w.Course
	var b strings.Builder
	fmt.Fprintf(&b, "# Welcome to %s\n\n", c.Title)
	if c.Summary != "" {
		b.WriteString(strings.TrimSpace(c.Summary) + "\n\n")
	}
	steps := c.Steps()
	fmt.Fprintf(&b, "%s in %s. You do each exercise on your own Docker daemon; the tutor checks the real result.\n\n",
		capitalize(plural(len(steps), "step", "steps")), plural(len(c.Lessons), "lesson", "lessons"))
	fmt.Fprintf(&b, "- **Workspace:** `%s`, one folder per step. Open it in your editor and terminal, or press **%s** and **%s** here.\n", w.Workspace, w.Keys.Edit, w.Keys.Shell)
	if w.ProgressPath != "" {
		fmt.Fprintf(&b, "- **Progress:** saved in `%s`; next time you start where you left off.\n", w.ProgressPath)
	}
	if w.Learner != "" {
		fmt.Fprintf(&b, "- **Learner id:** `%s`, in the names of your images and containers, so that no one else on the same Docker sees or removes them.\n", w.Learner)
	}
	b.WriteString("- **Docker:** " + dockerLine(w.Docker, w.DockerKnown) + "\n\n")
	b.WriteString(dockerAdvice(w.Docker, w.DockerKnown))
	b.WriteString("## Moving around\n\n")
	help := "every key; the bar at the bottom shows the keys that work now"
	if f == PlainMode {
		help = "every command"
	}
	k := w.Keys
	for _, row := range [][2]string{
		{join(" / ", k.Next, k.Prev), "next and previous step"},
		{k.Scroll, "scroll; the mouse wheel works too"},
		{k.Sideways, "scroll sideways: commands are never wrapped, so you can paste them as they are"},
		{k.Focus, "move between the panes"},
		{join(" ", k.Run, k.Check), "run the step's action, check your work now"},
		{join(" ", k.Hint, k.Solution), "next hint, reference solution"},
		{join(" ", k.Edit, k.Shell), "edit the step's file, open a shell in its folder"},
		{k.Copy, "copy the step's command, to paste in your own terminal"},
		{k.Help, help},
		{k.Quit, "quit"},
	} {
		if row[0] != "" {
			fmt.Fprintf(&b, "- **%s** %s\n", row[0], row[1])
		}
	}
	b.WriteString("\n")
	watch := "The tutor watches your step folder and your daemon: build in another terminal and the verdict appears here by itself.\n\n"
	if f == PlainMode {
		watch = "Type **w** and the tutor watches your step folder and your daemon: build in another terminal and the verdict appears here by itself.\n\n"
	}
	b.WriteString(watch)
	switch {
	case f == PlainMode:
		// The plain mode's prompt then asks for Enter.
		b.WriteString("After each step's text comes a prompt: type a command letter and press Enter.\n")
	case w.First != nil:
		fmt.Fprintf(&b, "Press **enter** or **n** to begin with step %s, *%s*.\n", w.First.Number, w.First.Title)
	}
	return b.String()
}

func join(sep string, keys ...string) string {
	var set []string
	for _, k := range keys {
		if k != "" {
			set = append(set, k)
		}
	}
	return strings.Join(set, sep)
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

// dockerAdvice is the diagnosis and fix when Docker does not answer, as
// paragraphs; empty otherwise.
func dockerAdvice(d tutor.DockerStatus, known bool) string {
	if !known || d.Reachable {
		return ""
	}
	var b strings.Builder
	if d.Problem != "" {
		fmt.Fprintf(&b, "%s\n\n", d.Problem)
	}
	if fixes := strings.Split(d.Fix, "\n"); len(fixes) > 1 {
		fmt.Fprintf(&b, "**%s**\n\n", fixLabel)
		for _, f := range fixes {
			fmt.Fprintf(&b, "- %s\n", f)
		}
		b.WriteString("\n")
	} else if d.Fix != "" {
		fmt.Fprintf(&b, "**%s** %s\n\n", fixLabel, d.Fix)
	}
	b.WriteString("You can read the steps meanwhile; the tutor notices when Docker is back.\n\n")
	return b.String()
}

// DockerDoc is where Docker is and whether it answers, with the fix when
// it does not.
func DockerDoc(d tutor.DockerStatus) string {
	return "Docker " + dockerLine(d, true) + "\n\n" + dockerAdvice(d, true)
}

// SolutionDoc shows the reference solution's files; canApply adds how to
// put them in the step folder.
func SolutionDoc(st *lessons.Step, files map[string]string, canApply bool) string {
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

// SummaryDoc is the course summary: what was passed, hints and solutions
// used, each lesson's steps with their status, and what is left.
func SummaryDoc(c *lessons.Course, p progress.Progress, f Front) string {
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
			fmt.Fprintf(&b, "- %s%s %s", StatusMark(p.StatusOf(st.ID)).Prefix(f != FullScreen), st.Number, st.Title)
			if st.Optional {
				b.WriteString(" _(optional)_")
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	switch {
	case len(missing) == 0:
		b.WriteString("Well done. Your step folders stay in your workspace; `dockertutor reset --all` removes what the tutor built.\n")
	case f == FullScreen:
		fmt.Fprintf(&b, "Still to do: %s. Press **/** to find a step, or **p** to go back.\n", stepList(missing))
	default:
		fmt.Fprintf(&b, "Still to do: %s. Type **g** and a step's number to go there, or **l** to list the steps.\n", stepList(missing))
	}
	return b.String()
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

// plural counts things in words: "1 hint", "3 hints".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

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

// langOf is the code fence's language for a file, by its name.
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
