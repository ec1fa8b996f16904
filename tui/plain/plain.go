// Package plain is the tutor's line-oriented mode for screen readers,
// TERM=dumb and pipes: it prints the step's text, then reads one-letter
// commands. It never moves the cursor or draws colour, and every message
// is a full line. What it says is worded in package present, as the full
// screen's is.
package plain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/backend"
	"github.com/dockertutor/dockertutor/tui/markdown"
)

// Options configure Run.
type Options struct {
	// Course is the course the session runs; required.
	Course *lessons.Course
	// In and Out are the learner's input and where the mode writes.
	In  io.Reader
	Out io.Writer
	// Poll says the session watches the step folder by polling, which
	// the mode says when watching starts.
	Poll bool
	// Width is where text wraps (at most markdown.MaxWidth); 0 means 80.
	Width int
	// Warnings are what opening the session found, said once at the start.
	Warnings []error
	// Class reads how the learner's class stands; nil: no class.
	Class func() (present.ClassStatus, bool)
}

type plainUI struct {
	ctx    context.Context
	b      backend.Session
	course *lessons.Course
	steps  []*lessons.Step
	in     io.Reader // handed to an editor or a shell as it is, if a file
	out    io.Writer
	input  *plainInput
	width  int
	md     *markdown.Renderer
	getenv func(string) string
	poll   bool
	cur    int
	prog   progress.Progress
	watch  plainWatch
	// shown is the last verdict printed for each step, so that watching
	// says a repeat in one line.
	shown map[string]string
	// asked is the line asked for at the prompt and not yet answered: a
	// change seen while the learner types leaves it asked.
	asked <-chan lineResult
	// warnings are what opening the session found, said once at the start.
	warnings []error
	// saidDockerBuild: the note about the learner's docker build was said.
	saidDockerBuild bool
	// class reads how the learner's class stands (nil: in no class);
	// saidClass is what was last said of it, so that a change is said once.
	class     func() (present.ClassStatus, bool)
	saidClass present.ClassStatus
}

// plainCommands is the help of the plain mode, one command a line.
var plainCommands = []string{
	"n        next step (after the last one: the course summary)",
	"p        previous step",
	"g STEP   go to a step, by number (2.1) or id",
	"l        list every step with its status",
	"v        show this step's text again",
	"r        run the step's action (a build or a container) and check it",
	"c        check the step now",
	"a VALUE  answer a quiz (its letter, or letters such as a,c) or a question",
	"h        reveal the next hint",
	"s        show the reference solution; on a quiz or question, give up:",
	"         the reference answer is recorded and checked",
	"y        print the step's main command alone, unwrapped, to copy",
	"x        reset the step",
	"o        skip this step, if it is optional: it counts as done, not passed",
	"e        open the step's file in your editor ($VISUAL, $EDITOR, else nano, vi)",
	"t        open a shell in the step's folder; type exit to come back",
	"w        watch the step: check it again by itself when its folder or its",
	"         images change, and print the verdict (w again to stop)",
	"d        show whether Docker answers (and, in a class, whether it hears from you)",
	"q        quit",
}

// Run runs the plain mode until the learner quits, the input ends or ctx
// ends (then it returns an error wrapping ctx's).
func Run(ctx context.Context, b backend.Session, opts Options) error {
	width := opts.Width
	if width <= 0 {
		width = 80
	}
	// The tutor's own lines wrap where the step's text does.
	width = markdown.WrapWidth(width)
	// The input's goroutine ends with the plain mode (unless it waits in
	// a read: then with the next line or the process).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ui := &plainUI{
		ctx: ctx, b: b, course: opts.Course, steps: opts.Course.Steps(),
		in: opts.In, out: opts.Out, input: newPlainInput(ctx, opts.In),
		width: width, md: markdown.New(), getenv: os.Getenv, poll: opts.Poll, shown: map[string]string{},
		warnings: opts.Warnings, class: opts.Class,
	}
	defer ui.stopWatch() // on quit and on interrupt alike
	return ui.run()
}

func (u *plainUI) printf(format string, args ...any) { fmt.Fprintf(u.out, format, args...) }

func (u *plainUI) run() error {
	p, err := u.b.Progress()
	if err != nil {
		return fmt.Errorf("cannot read your progress: %w", err)
	}
	for _, w := range u.warnings {
		u.sayf("Warning: %v", w)
	}
	u.prog = p
	cur := u.b.CurrentStep(p)
	u.cur = indexOfStep(u.steps, cur)
	if p.Current == "" && len(p.Steps) == 0 {
		u.welcome(cur)
		if !u.waitEnter() {
			return u.ctx.Err()
		}
	} else {
		u.printf("Welcome back. You are at step %s, %s.\n", cur.Number, cur.Title)
	}
	u.enter(u.cur)
	for {
		u.sayClass()
		u.printf("\n" + plainPrompt)
		line, ok := u.nextCommand()
		if !ok {
			u.printf("\n")
			return u.ctx.Err()
		}
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		arg = strings.TrimSpace(arg)
		if quit := u.command(strings.ToLower(cmd), arg); quit {
			return nil
		}
	}
}

const plainPrompt = "Command (? for the list): "

// readLine waits for the next line; false at the end of the input or of
// the context. Changes the watcher sees meanwhile wait for the next
// command prompt.
func (u *plainUI) readLine() (string, bool) { return u.awaitLine(false) }

// nextCommand waits for a command line; while watching, a change seen
// meanwhile is checked and its verdict printed as a block of its own on a
// fresh line (what the learner had typed stays with the terminal, and
// comes with their Enter), then the prompt again.
func (u *plainUI) nextCommand() (string, bool) { return u.awaitLine(true) }

// awaitLine waits for a line, answering the watcher's changes in the
// meantime when asked to.
func (u *plainUI) awaitLine(answerChanges bool) (string, bool) {
	for {
		var changes <-chan tutor.Change // nil, so never ready, unless answering
		if answerChanges {
			changes = u.watch.changes // nil too when not watching
		}
		if u.asked == nil {
			u.asked = u.input.request(u.ctx)
		}
		select {
		case r := <-u.asked:
			u.asked = nil
			return r.line, r.err == nil
		case <-u.ctx.Done():
			return "", false
		case c, ok := <-changes:
			u.printf("\n")
			if !ok {
				u.watcherEnded()
			} else {
				u.recheck(u.takeChange(c))
			}
			u.printf("\n" + plainPrompt)
		}
	}
}

func (u *plainUI) waitEnter() bool {
	u.printf("\nPress Enter to begin. ")
	_, ok := u.readLine()
	return ok
}

func (u *plainUI) ask(question string) bool {
	u.printf("%s [y/N] ", question)
	l, ok := u.readLine()
	return ok && strings.HasPrefix(strings.ToLower(strings.TrimSpace(l)), "y")
}

// command runs one command and reports whether the learner quits.
func (u *plainUI) command(cmd, arg string) bool {
	st := u.steps[u.cur]
	switch cmd {
	case "":
	case "q", "quit", "exit":
		return true
	case "?", "help":
		u.printf("Commands:\n")
		for _, c := range plainCommands {
			u.printf("  %s\n", c)
		}
	case "n":
		if u.cur == len(u.steps)-1 {
			u.print(present.SummaryDoc(u.course, u.prog, present.PlainMode))
			return false
		}
		u.enter(u.cur + 1)
	case "p":
		if u.cur == 0 {
			u.printf("This is the first step.\n")
			return false
		}
		u.enter(u.cur - 1)
	case "g":
		s, ok := u.course.Step(arg)
		if !ok {
			u.printf("No step %q. Type l to list the steps.\n", arg)
			return false
		}
		u.enter(indexOfStep(u.steps, s))
	case "l":
		u.list()
	case "v":
		u.show()
	case "d":
		u.printDocker(u.dockerStatus())
		if c, ok := u.classStatus(); ok {
			u.printf("%s\n", present.ClassReport(c))
		}
	case "e":
		u.edit()
	case "t":
		u.shell()
	case "w":
		u.toggleWatch()
	case "r":
		if u.b.ActionCommand(st) == "" {
			u.printf("This step has no action to run.\n")
			return false
		}
		if u.stream("run", st, u.b.Run) {
			u.check(st)
		}
	case "c":
		if len(st.Checks) == 0 {
			u.printf("This step has nothing to check.\n")
			return false
		}
		u.check(st)
	case "a":
		if st.Kind != lessons.KindQuiz && st.Kind != lessons.KindAnswer {
			u.printf("This step takes no answer.\n")
			return false
		}
		if arg == "" {
			u.printf("Your answer: ")
			l, ok := u.readLine()
			if !ok {
				return false
			}
			arg = strings.TrimSpace(l)
		}
		if arg == "" {
			u.printf("No answer given.\n")
			return false
		}
		v, err := u.b.Answer(u.ctx, st, arg)
		u.verdict(st, v, err)
	case "h":
		h, err := u.b.NextHint(st)
		if err != nil {
			u.sayf("%v", err)
			return false
		}
		u.printf("Hint %d of %d:\n", h.Number, h.Total)
		u.print(h.Text)
	case "s":
		u.solution(st)
	case "y":
		u.printCommand(st)
	case "o":
		p, err := u.b.Skip(st)
		if err != nil {
			u.wrapped("Cannot skip: "+err.Error()+".", "", "")
			return false
		}
		u.prog = p
		u.wrapped(present.SkippedLine(st)+" Type n for the next step.", "", "")
	case "x":
		if st.Kind == lessons.KindRead {
			u.printf("A reading step has nothing to reset.\n")
			return false
		}
		removals, err := u.b.ResetPlan(u.ctx, st)
		var inUse *tutor.InUseError
		switch {
		case errors.As(err, &inUse):
			u.sayf("Cannot reset step %s: %v", st.Number, err)
			return false
		case err != nil:
			u.sayf("Reset would put back the files only: %v", err)
		case len(removals) > 0:
			u.sayf("%s", present.ResetPlan(removals))
		}
		if !u.ask(present.ResetQuestion(st)) {
			return false
		}
		if err := u.b.ResetStep(u.ctx, st); err != nil {
			u.sayf("Reset failed: %v", err)
			return false
		}
		u.printf("Step %s is reset.\n", st.Number)
		u.enter(u.cur)
	default:
		u.printf("Unknown command %q. Type ? for the list.\n", cmd)
	}
	return false
}

// enter opens a step and prints it.
func (u *plainUI) enter(idx int) {
	if l, held := u.held(u.steps[idx]); held {
		u.printf("%s\n", present.LessonOpensSoon(l))
		return
	}
	p, _, err := u.b.Enter(u.steps[idx])
	if err != nil {
		u.sayf("Cannot open step %s: %v", u.steps[idx].Number, err)
		return
	}
	u.cur, u.prog = idx, p
	u.show()
	u.sayDockerBuild()
	u.followWatch()
}

// sayDockerBuild says, once, on the first step where it matters, that
// the learner's own docker build cannot build a secret mount.
func (u *plainUI) sayDockerBuild() {
	if u.saidDockerBuild {
		return
	}
	st := u.steps[u.cur]
	if note := present.DockerBuildNote(st, u.b.DockerBuild(u.ctx).Builder); note != "" {
		u.saidDockerBuild = true
		u.printf("\n")
		u.wrapped(note, "Note: ", "      ")
	}
}

func (u *plainUI) show() {
	st := u.steps[u.cur]
	info := backend.Describe(u.b, st, u.prog)
	if present.ActionNeedsBuildx(st) {
		info.DockerBuild = u.b.DockerBuild(u.ctx).Builder
	}
	u.printf("\n")
	u.wrapped(fmt.Sprintf("Step %s of %d (lesson %d, %s). Status: %s.", st.Number, len(u.steps), st.Lesson.Number, st.Lesson.Title, statusWord(u.prog, st)), "", "")
	u.printf("\n")
	u.print(present.StepDoc(info, u.prog, u.cur == len(u.steps)-1, present.PlainMode))
}

// print renders markdown as text a screen reader reads well; markdown
// that cannot be rendered is printed as it is, which still reads.
func (u *plainUI) print(md string) {
	out, err := u.md.Render(md, u.width, markdown.Reader)
	if err != nil {
		out = md
	}
	u.printf("%s\n", strings.Trim(out, "\n"))
}

// sayf prints a line of the tutor's, wrapped to the width with the lines
// after the first indented: an error from Docker can be long, and is read
// in full.
func (u *plainUI) sayf(format string, args ...any) {
	u.wrapped(fmt.Sprintf(format, args...), "", "  ")
}

// wrapped prints text wrapped to the width, with a first-line prefix and
// an indent for the lines that follow.
func (u *plainUI) wrapped(text, first, rest string) {
	w := max(u.width-len(rest), 20)
	for i, line := range present.WrapWhole(text, w) {
		p := rest
		if i == 0 {
			p = first
		}
		u.printf("%s%s\n", p, strings.TrimRight(line, " "))
	}
}

// printCommand prints the step's main command on lines of its own, never
// wrapped, for the learner to copy from the terminal.
func (u *plainUI) printCommand(st *lessons.Step) {
	command := backend.Describe(u.b, st, u.prog).MainCommand()
	if command == "" {
		u.printf("%s\n", present.NoCommand)
		return
	}
	u.printf("%s\n\n%s\n", present.CommandToCopy, command)
}

func (u *plainUI) list() {
	for _, l := range u.course.Lessons {
		u.printf("Lesson %d: %s\n", l.Number, l.Title)
		for _, s := range l.Steps {
			here := ""
			if s == u.steps[u.cur] {
				here = " (you are here)"
			}
			u.printf("  %s %s: %s%s\n", s.Number, s.Title, statusWord(u.prog, s), here)
		}
	}
}

func (u *plainUI) dockerStatus() tutor.DockerStatus {
	ctx, cancel := context.WithTimeout(u.ctx, 3*time.Second)
	defer cancel()
	return u.b.DockerStatus(ctx)
}

func (u *plainUI) printDocker(d tutor.DockerStatus) {
	u.print(present.DockerDoc(d))
}

// action is what r and s start: the step's action, or its solution.
type action func(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error

// stream runs an action, printing its events as they come, and reports
// whether it finished well. what names it: "run" or "solution".
func (u *plainUI) stream(what string, st *lessons.Step, act action) bool {
	events := make(chan tutor.Event, 256) // a chatty build does not wait on the terminal
	done := make(chan error, 1)
	go func() {
		done <- act(u.ctx, st, events)
		close(events)
	}()
	sawError := false
	for ev := range events {
		sawError = sawError || ev.Kind == tutor.EventError
		for _, l := range present.EventLines(ev) {
			if ev.Kind == tutor.EventDone || ev.Kind == tutor.EventError {
				// The tutor's own sentence (which names the learner's
				// long image names) wraps like its others; the action's
				// output keeps its lines as they come.
				u.wrapped(l.Text, "", "")
				continue
			}
			u.printf("%s\n", l.Text)
		}
	}
	err := <-done
	if end, ok := present.ActionEnd(what, err, sawError); ok {
		u.printf("%s\n", end.Text)
	}
	return err == nil
}

func (u *plainUI) check(st *lessons.Step) {
	u.printf("Checking step %s…\n", st.Number)
	v, err := u.b.Check(u.ctx, st)
	u.verdict(st, v, err)
}

// verdict prints a check's verdict as full lines, remembers it, and
// forgets the changes the watcher saw before it: they are answered.
func (u *plainUI) verdict(st *lessons.Step, v check.Verdict, err error) {
	if st == u.watch.step {
		u.dropChanges()
	}
	if err != nil {
		u.wrapped(present.CheckFailed(err, present.PlainMode), "", "")
		return
	}
	u.shown[st.ID] = verdictSignature(v)
	lv := present.LayOut(v, present.PlainMode)
	if lv.Unreachable {
		u.wrapped(present.OutcomeMark(check.Error).Prefix(true)+lv.DockerError, "", present.CheckHang)
		u.wrapped(lv.NotChecked, present.CheckHang, present.CheckHang)
	}
	for _, c := range lv.Checks {
		u.wrapped(c.Mark.Prefix(true)+c.Text, "", present.CheckHang)
		for _, e := range c.Evidence {
			u.wrapped(e.String(), present.EvidenceIndent, present.EvidenceHang)
		}
	}
	// The summary comes last, where a screen reader stops before the prompt.
	u.wrapped(strings.TrimSpace(lv.Summary.Text+" "+lv.Next), "", "")
	if lv.Unreachable {
		if fix := present.Fix(u.dockerStatus().Fix); fix != "" {
			u.wrapped(fix, "", "")
		}
	}
	u.refreshProgress()
}

// refreshProgress reads back the progress the session recorded.
func (u *plainUI) refreshProgress() {
	if p, err := u.b.Progress(); err == nil {
		u.prog = p
	}
}

func (u *plainUI) solution(st *lessons.Step) {
	if !present.HasSolution(st) {
		u.printf("This step has no reference solution.\n")
		return
	}
	if q := present.SolutionQuestion(st, u.prog.StatusOf(st.ID) == progress.Passed); q != "" && !u.ask(q) {
		return
	}
	if st.Kind != lessons.KindExercise {
		// A quiz's or free answer's solution is its answer: recorded, then
		// checked, so that the verdict says where each value was.
		if u.stream("solution", st, u.b.Solve) {
			u.check(st)
		}
		return
	}
	files, err := u.b.Solution(st)
	if err != nil {
		u.sayf("Cannot show the solution: %v", err)
		return
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		u.printf("--- %s\n%s\n--- end of %s\n", n, strings.TrimRight(files[n], "\n"), n)
	}
	if u.ask(present.ApplySolutionQuestion) {
		if u.stream("solution", st, u.b.Solve) {
			u.check(st)
		}
	}
}

func (u *plainUI) welcome(first *lessons.Step) {
	u.print(present.WelcomeDoc(present.Welcome{
		Course:       u.course,
		Workspace:    u.b.Values(first, u.prog).Workspace,
		ProgressPath: u.b.ProgressPath(),
		Learner:      u.b.Values(first, u.prog).Learner,
		Docker:       u.dockerStatus(),
		DockerKnown:  true,
		First:        first,
		Keys: present.Keys{
			Next: "n", Prev: "p", Run: "r", Check: "c", Hint: "h", Solution: "s",
			Edit: "e", Shell: "t", Help: "?", Quit: "q",
			Copy: "y",
		},
	}, present.PlainMode))
}

// statusWord is a step's status in words.
func statusWord(p progress.Progress, st *lessons.Step) string {
	return present.StatusMark(p.StatusOf(st.ID)).Word
}

func indexOfStep(steps []*lessons.Step, st *lessons.Step) int {
	for i, s := range steps {
		if st != nil && s.ID == st.ID {
			return i
		}
	}
	return 0
}
