package tui

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/backend"
	"github.com/dockertutor/dockertutor/tui/internal/handover"
	"github.com/dockertutor/dockertutor/tui/markdown"
)

// Every command here copies what it needs into its closure and reports
// back with one message type; none of them touches the model.

// loadedMsg is the saved progress at start and, for a learner coming
// back, the step they left off at, already entered: one message instead of
// two in a row before the first full screen.
type loadedMsg struct {
	prog     progress.Progress
	current  *lessons.Step
	welcome  present.Welcome // without the daemon's state and the keys
	firstRun bool
	entered  *enteredMsg // when !firstRun
	err      error
}

func loadCmd(b Backend) tea.Cmd {
	return func() tea.Msg { return load(b) }
}

// awaitLoad delivers the load that Run started before the program did.
func awaitLoad(first <-chan loadedMsg) tea.Cmd {
	return func() tea.Msg { return <-first }
}

func load(b Backend) loadedMsg {
	p, err := b.Progress()
	if err != nil {
		return loadedMsg{err: err}
	}
	cur := b.CurrentStep(p)
	msg := loadedMsg{prog: p, current: cur, firstRun: p.Current == "" && len(p.Steps) == 0}
	v := b.Values(cur, p)
	msg.welcome = present.Welcome{Workspace: v.Workspace, ProgressPath: b.ProgressPath(), Learner: v.Learner, First: cur}
	if !msg.firstRun && cur != nil {
		e := enter(b, 0, 0, cur)
		msg.entered = &e
	}
	return msg
}

// enteredMsg says a step became current.
type enteredMsg struct {
	seq  int
	idx  int
	prog progress.Progress
	info present.StepPage
	err  error
}

func enterCmd(b Backend, seq, idx int, st *lessons.Step) tea.Cmd {
	return func() tea.Msg { return enter(b, seq, idx, st) }
}

func enter(b Backend, seq, idx int, st *lessons.Step) enteredMsg {
	p, _, err := b.Enter(st)
	if err != nil {
		return enteredMsg{seq: seq, idx: idx, err: fmt.Errorf("cannot open step %s: %w", st.Number, err)}
	}
	return enteredMsg{seq: seq, idx: idx, prog: p, info: backend.Describe(b, st, p)}
}

// refreshedMsg is the progress and step description after a change the
// session made (a hint revealed, a step reset, an answer recorded).
type refreshedMsg struct {
	step string
	prog progress.Progress
	info present.StepPage
	// note is what to say in the status line, if anything.
	note string
	// scrollEnd shows the end of the text (where a new hint appears).
	scrollEnd bool
	// reset says the step was put back as it began.
	reset bool
	err   error
}

// describeCmd describes the step again, as it is now.
func describeCmd(b Backend, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		p, err := b.Progress()
		if err != nil {
			return refreshedMsg{step: st.ID, err: err}
		}
		return refreshedMsg{step: st.ID, prog: p, info: backend.Describe(b, st, p)}
	}
}

func hintCmd(b Backend, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		h, err := b.NextHint(st)
		if err != nil {
			return refreshedMsg{step: st.ID, err: err}
		}
		p, err := b.Progress()
		if err != nil {
			return refreshedMsg{step: st.ID, err: err}
		}
		return refreshedMsg{step: st.ID, prog: p, info: backend.Describe(b, st, p), scrollEnd: true,
			note: fmt.Sprintf("Hint %d of %d: %s", h.Number, h.Total, oneLine(h.Text))}
	}
}

// resetPlannedMsg is what a reset of the step would remove from Docker,
// asked before the learner is asked to confirm.
type resetPlannedMsg struct {
	step     string
	removals []tutor.Removal
	err      error
}

func resetPlanCmd(ctx context.Context, b Backend, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		removals, err := b.ResetPlan(ctx, st)
		return resetPlannedMsg{step: st.ID, removals: removals, err: err}
	}
}

func resetCmd(ctx context.Context, b Backend, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		if err := b.ResetStep(ctx, st); err != nil {
			return refreshedMsg{step: st.ID, err: fmt.Errorf("reset step %s: %w", st.Number, err)}
		}
		p, _, err := b.Enter(st) // lays the starter files out again
		if err != nil {
			return refreshedMsg{step: st.ID, err: err}
		}
		return refreshedMsg{step: st.ID, prog: p, info: backend.Describe(b, st, p), reset: true, note: fmt.Sprintf("Step %s is reset; your old files are in the workspace's .backup folder.", st.Number)}
	}
}

// solutionMsg carries the reference solution's files.
type solutionMsg struct {
	step  string
	files map[string]string
	err   error
}

func solutionCmd(b Backend, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		files, err := b.Solution(st)
		return solutionMsg{step: st.ID, files: files, err: err}
	}
}

// renderKey names one rendering of the text pane: which document, at which
// width, in which style. A result for an older key is dropped.
type renderKey struct {
	gen   int
	width int
	style markdown.Style
}

type renderedMsg struct {
	key renderKey
	out string
	err error
}

func renderCmd(r *markdown.Renderer, doc string, key renderKey) tea.Cmd {
	return func() tea.Msg {
		out, err := r.Render(doc, key.width, key.style)
		return renderedMsg{key: key, out: out, err: err}
	}
}

// checkDoneMsg is the verdict of a check or an answer.
type checkDoneMsg struct {
	id      int
	step    string
	verdict check.Verdict
	prog    progress.Progress
	progOK  bool
	err     error
}

func checkCmd(ctx context.Context, b Backend, id int, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		v, err := b.Check(ctx, st)
		return afterCheck(b, id, st, v, err)
	}
}

func answerCmd(ctx context.Context, b Backend, id int, st *lessons.Step, value string) tea.Cmd {
	return func() tea.Msg {
		v, err := b.Answer(ctx, st, value)
		return afterCheck(b, id, st, v, err)
	}
}

// solvedAnswerCmd records the reference answer, then checks it.
func solvedAnswerCmd(ctx context.Context, b Backend, id int, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		if err := b.Solve(ctx, st, nil); err != nil {
			return afterCheck(b, id, st, check.Verdict{}, err)
		}
		v, err := b.Check(ctx, st)
		return afterCheck(b, id, st, v, err)
	}
}

func afterCheck(b Backend, id int, st *lessons.Step, v check.Verdict, err error) checkDoneMsg {
	if err != nil {
		return checkDoneMsg{id: id, step: st.ID, err: err}
	}
	msg := checkDoneMsg{id: id, step: st.ID, verdict: v}
	// The session recorded the verdict; read it back for the outline.
	if p, perr := b.Progress(); perr == nil {
		msg.prog, msg.progOK = p, true
	}
	return msg
}

// Streams of action output: the action runs in one command and sends its
// events to a channel; waitEvents reads them in batches and is issued again
// after each batch, until the channel closes and the result is known.

// jobStream is how a running action talks back: its events, then its
// result once the events channel is closed.
type jobStream struct {
	events <-chan tutor.Event
	result <-chan error
}

type jobEventsMsg struct {
	id     int
	events []tutor.Event
	stream jobStream
}

type jobEndedMsg struct {
	id  int
	err error
}

// eventBatch bounds how many lines one message carries, so a chatty build
// cannot starve key presses.
const eventBatch = 256

type actionFunc func(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error

// startJob runs the action in one command and reads its stream in another.
func startJob(ctx context.Context, id int, st *lessons.Step, action actionFunc) tea.Cmd {
	events := make(chan tutor.Event, eventBatch)
	result := make(chan error, 1)
	launch := func() tea.Msg {
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("internal error: %v", p)
				}
			}()
			err = action(ctx, st, events)
		}()
		result <- err
		close(events)
		return nil
	}
	return tea.Batch(launch, waitEvents(id, jobStream{events, result}))
}

// waitEvents returns the next batch of events, or the end of the action.
func waitEvents(id int, s jobStream) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-s.events
		if !ok {
			return jobEndedMsg{id: id, err: <-s.result}
		}
		batch := []tutor.Event{ev}
		for len(batch) < eventBatch {
			select {
			case ev, ok := <-s.events:
				if !ok {
					// The end comes with the next wait.
					return jobEventsMsg{id: id, events: batch, stream: s}
				}
				batch = append(batch, ev)
			default:
				return jobEventsMsg{id: id, events: batch, stream: s}
			}
		}
		return jobEventsMsg{id: id, events: batch, stream: s}
	}
}

// dockerStatusMsg is the daemon's state, for the status line.
type dockerStatusMsg struct{ status tutor.DockerStatus }

// dockerPollMsg asks for the daemon's state again.
type dockerPollMsg struct{}

func dockerStatusCmd(ctx context.Context, b Backend, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return dockerStatusMsg{status: b.DockerStatus(ctx)}
	}
}

// Watching: watchStartedMsg hands over the channel, waitChange reads it.

type watchStartedMsg struct {
	id      int
	changes <-chan tutor.Change
	err     error
}

type changeMsg struct {
	id      int
	changes <-chan tutor.Change
	change  tutor.Change
	// more counts the changes folded into this one.
	more int
}

type watchEndedMsg struct{ id int }

type watchRetryMsg struct{ id int }

func watchCmd(ctx context.Context, b Backend, id int, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		ch, err := b.Watch(ctx, st)
		return watchStartedMsg{id: id, changes: ch, err: err}
	}
}

func waitChange(id int, changes <-chan tutor.Change) tea.Cmd {
	return func() tea.Msg {
		c, ok := <-changes
		if !ok {
			return watchEndedMsg{id: id}
		}
		// A save or a build fires several changes at once: one check will do.
		more := 0
		for {
			select {
			case next, ok := <-changes:
				if !ok {
					return changeMsg{id: id, changes: changes, change: c, more: more}
				}
				c = next
				more++
				continue
			default:
			}
			return changeMsg{id: id, changes: changes, change: c, more: more}
		}
	}
}

// drainChanges reads a watcher that is no longer wanted until it closes,
// so its sender never blocks.
func drainChanges(changes <-chan tutor.Change) tea.Cmd {
	return func() tea.Msg {
		for range changes {
		}
		return nil
	}
}

// Handing the terminal to the editor or a shell: the command is prepared
// (looked up on the PATH) in a command, then run with tea.ExecProcess.

type execReadyMsg struct {
	what string // "editor" or "shell"
	cmd  *exec.Cmd
	// banner is printed on the cleared screen before the command starts.
	banner string
	err    error
}

// bannerCommand runs a command after printing a banner, so a learner in a
// shell knows where they are and how to come back.
type bannerCommand struct {
	*exec.Cmd
	banner string
}

func (c bannerCommand) Run() error {
	if c.banner != "" && c.Stdout != nil {
		fmt.Fprint(c.Stdout, c.banner)
	}
	wait, err := handover.StartInForeground(c.Cmd)
	if err != nil {
		return err
	}
	return wait()
}

func (c bannerCommand) SetStdin(r io.Reader)  { c.Stdin = r }
func (c bannerCommand) SetStdout(w io.Writer) { c.Stdout = w }
func (c bannerCommand) SetStderr(w io.Writer) { c.Stderr = w }

type execDoneMsg struct {
	what string
	err  error
}

func editorCmd(getenv func(string) string, file, dir string) tea.Cmd {
	return func() tea.Msg {
		c, err := handover.Editor(getenv, file, dir)
		return execReadyMsg{what: "editor", cmd: c, err: err}
	}
}

func shellCmd(getenv func(string) string, dir string) tea.Cmd {
	return func() tea.Msg {
		c, err := handover.Shell(getenv, dir)
		banner := "\x1b[H\x1b[2J" + "A shell in the step's folder, " + dir + ".\nType exit to go back to the tutor.\n\n"
		return execReadyMsg{what: "shell", cmd: c, banner: banner, err: err}
	}
}

// flashExpiredMsg clears a status message, unless a newer one replaced it.
type flashExpiredMsg struct{ id int }

// oneLine folds text into one line for the status line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// copyCommand puts the step's main command on the clipboard with OSC 52.
// Where the terminal may drop that request (a console, tmux or screen,
// which pass it on only when set up to), the command is saved in a file
// as well, and the status line says where.
func (m *Model) copyCommand() tea.Cmd {
	command := m.info.MainCommand()
	if command == "" {
		return m.setFlash(present.NoCommand, flashWarning)
	}
	if clipboardSure(m.cfg.getenv) {
		return tea.Batch(tea.SetClipboard(command), m.setFlash(present.Copied(command, "", nil), flashSuccess))
	}
	file := filepath.Join(filepath.Dir(m.b.ProgressPath()), "command.txt")
	return tea.Batch(tea.SetClipboard(command), saveCommandCmd(command, file))
}

// clipboardSure says the terminal takes OSC 52 as far as the environment
// tells: a Linux console and unknown terminals do not, and tmux and
// screen keep it to themselves unless set up to pass it on.
func clipboardSure(getenv func(string) string) bool {
	switch getenv("TERM") {
	case "", "dumb", "linux":
		return false
	}
	return getenv("TMUX") == "" && getenv("STY") == ""
}

// commandSavedMsg says the copied command is also in file (or why not).
type commandSavedMsg struct {
	command, file string
	err           error
}

func saveCommandCmd(command, file string) tea.Cmd {
	return func() tea.Msg {
		err := os.WriteFile(file, []byte(command+"\n"), 0o600)
		return commandSavedMsg{command: command, file: file, err: err}
	}
}
