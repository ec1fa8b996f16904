package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// paneID names the panes focus moves between.
type paneID int

const (
	paneOutline paneID = iota + 1
	paneText
	paneResults
	paneOutput
)

// page is what the text pane shows.
type page int

const (
	pageLoading page = iota
	pageWelcome
	pageStep
	pageSummary
)

// jobRun is the step's action (or its solution) running, with its output
// streaming in. One runs at a time.
type jobRun struct {
	id        int
	active    bool
	what      string // "run" or "solution"
	step      *lessons.Step
	cancel    context.CancelFunc
	cancelled bool
}

// checkRun is a check (or an answer being checked) in flight.
type checkRun struct {
	id        int
	active    bool
	step      *lessons.Step
	cancel    context.CancelFunc
	cancelled bool
	// gaveUp: the check is of the reference answer the learner asked for,
	// which the step's text then shows at its end.
	gaveUp bool
}

// watchRun is the watcher of the current step.
type watchRun struct {
	id       int
	active   bool // asked for; cancel stops it
	watching bool // the backend said yes and changes are flowing
	step     string
	cancel   context.CancelFunc
}

// Model is the root model of the interface: the whole screen's state. Panes
// are plain structs inside it; their data comes from the Backend through
// commands and messages only.
type Model struct {
	ctx    context.Context
	b      Backend
	course *lessons.Course
	steps  []*lessons.Step
	cfg    config

	keys          KeyMap
	styles        Styles
	isDark        bool
	width, height int
	lay           layout
	outlineShown  bool
	outlineSet    bool // the learner toggled the outline; it no longer follows the width

	page     page
	loadErr  error
	prog     progress.Progress
	cur      int // the open step's index (the last one open on other pages)
	info     present.StepPage
	welcome  present.Welcome
	enterSeq int
	target   int               // the step being opened, or the open one
	solution map[string]string // the reference solution on show, nil if none

	outline   outlinePane
	text      textPane
	results   resultsPane
	output    outputPane
	focus     paneID
	bottomTab paneID // which of results and output shows when they share a box
	fullHelp  bool
	help      help.Model
	prompt    prompt
	flash     flash
	spinner   spinner.Model
	spinning  bool

	nextID      int
	job         jobRun
	checking    checkRun
	recheck     string // reason for a check asked while another ran
	watch       watchRun
	docker      tutor.DockerStatus
	dockerKnown bool
	// class is how the learner's class stands, when inClass.
	class     present.ClassStatus
	inClass   bool
	joining   bool // a join from the tutor is under way
	buildNote dockerBuildNote

	// first is the load Run started before the program, nil when Init
	// is to start it.
	first <-chan loadedMsg
}

// newModel builds the model; ctx bounds every operation it starts.
func newModel(ctx context.Context, b Backend, c *lessons.Course, cfg config) Model {
	m := Model{
		ctx: ctx, b: b, course: c, steps: c.Steps(), cfg: cfg,
		keys: DefaultKeyMap(), isDark: true,
		text: newTextPane(), results: newResultsPane(), output: newOutputPane(),
		focus: paneText, bottomTab: paneResults,
		help:    help.New(),
		spinner: spinner.New(spinner.WithSpinner(spinner.Dot)),
		prompt:  newPrompt(),
	}
	// The tutor offers a join only where it can make one: the full help
	// lists no key that never works.
	m.keys.Join.SetEnabled(cfg.joinClass != nil)
	m.applyStyles()
	return m
}

func (m *Model) applyStyles() {
	m.styles = NewStyles(m.isDark, m.cfg.noColor)
	m.output.invalidate() // its lines were styled with the old styles
	m.help.Styles = m.styles.Help
	m.spinner.Style = lipgloss.NewStyle() // spinnerFrame styles the trimmed frame
	m.prompt.input.SetStyles(m.styles.Input)
}

// Init asks the terminal for its background, and the session for the
// progress and the daemon's state. Run may have started the load already.
func (m Model) Init() tea.Cmd {
	load := loadCmd(m.b)
	if m.first != nil {
		load = awaitLoad(m.first)
	}
	return tea.Batch(tea.RequestBackgroundColor, load, dockerStatusCmd(m.ctx, m.b, m.cfg.dockerTimeout), dockerBuildCmd(m.ctx, m.b), classCmd(m.cfg.class))
}

// Update is the only place state changes. It works on its own copy of
// the model: the handlers below change that copy and return what to do next.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		if !m.outlineSet {
			m.outlineShown = msg.Width >= splitWidth
		}
		return m.relayout()
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.applyStyles()
		return m.relayout()
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		if !m.prompt.hasInput() {
			return nil
		}
		var cmd tea.Cmd
		m.prompt.input, cmd = m.prompt.input.Update(msg)
		m.searchChanged()
		return cmd
	case tea.MouseWheelMsg:
		mouse := msg.Mouse()
		if pane, ok := m.lay.paneAt(mouse.X, mouse.Y, m.bottomTab); ok {
			if mouse.Button == tea.MouseWheelLeft || mouse.Button == tea.MouseWheelRight {
				n := sidewaysStep
				if mouse.Button == tea.MouseWheelLeft {
					n = -n
				}
				m.scrollSideways(pane, n)
				return nil
			}
			n := 3
			if mouse.Button == tea.MouseWheelUp {
				n = -3
			}
			if pane == paneOutline {
				m.focus = paneOutline // the wheel moves its cursor, which shows only when focused
			}
			m.scroll(pane, n)
		}
		return nil

	case loadedMsg:
		return m.loaded(msg)
	case enteredMsg:
		return m.entered(msg)
	case resetPlannedMsg:
		return m.resetPlanned(msg)
	case refreshedMsg:
		return m.refreshed(msg)
	case renderedMsg:
		took := m.text.rendered(msg)
		if took && m.page != pageLoading && m.cfg.firstFrame != nil {
			m.cfg.firstFrame() // drawn right after this update
		}
		if took && msg.err != nil {
			return m.setFlash("The text could not be rendered; it shows as written: "+msg.err.Error(), flashWarning)
		}
		return nil
	case solutionMsg:
		return m.solutionArrived(msg)

	case jobEventsMsg:
		if msg.id == m.job.id && m.job.active {
			m.output.append(msg.events)
			m.refreshOutput()
		}
		return waitEvents(msg.id, msg.stream) // read on until the stream ends
	case jobEndedMsg:
		return m.jobEnded(msg)
	case checkDoneMsg:
		return m.checkDone(msg)

	case dockerStatusMsg:
		return m.dockerStatus(msg)
	case dockerPollMsg:
		return dockerStatusCmd(m.ctx, m.b, m.cfg.dockerTimeout)
	case dockerBuildMsg:
		return m.dockerBuildKnown(msg)
	case classMsg:
		return m.classRead(msg)
	case classPollMsg:
		return classCmd(m.cfg.class)
	case joinedMsg:
		return m.joined(msg)

	case watchStartedMsg:
		return m.watchStarted(msg)
	case changeMsg:
		if msg.id != m.watch.id || !m.watch.active {
			return drainChanges(msg.changes)
		}
		return tea.Batch(m.startCheck(msg.change.Reason), waitChange(msg.id, msg.changes))
	case watchEndedMsg:
		if msg.id != m.watch.id || !m.watch.active {
			return nil
		}
		// The watcher stopped by itself (the daemon went away, most
		// likely): try again in a while.
		m.watch.watching = false
		return m.retryWatch(msg.id)
	case watchRetryMsg:
		if msg.id != m.watch.id || !m.watch.active {
			return nil
		}
		return m.startWatch()

	case execReadyMsg:
		if msg.err != nil {
			return m.setFlash(msg.err.Error(), flashError)
		}
		what := msg.what
		return tea.Exec(bannerCommand{msg.cmd, msg.banner}, func(err error) tea.Msg { return execDoneMsg{what: what, err: err} })
	case execDoneMsg:
		if msg.err != nil {
			return m.setFlash(fmt.Sprintf("The %s ended with an error: %v", msg.what, msg.err), flashError)
		}
		reason := "after the editor closed"
		if msg.what == "shell" {
			reason = "after the shell ended"
		}
		return m.startCheck(reason)

	case commandSavedMsg:
		// A warning, so that the file's name shows in full.
		return m.setFlash(present.Copied(msg.command, msg.file, msg.err), flashWarning)
	case flashExpiredMsg:
		if msg.id == m.flash.id {
			m.flash = flash{}
			return m.relayout() // a long message gives its lines back
		}
		return nil
	case spinner.TickMsg:
		if !m.job.active && !m.checking.active {
			m.spinning = false
			return nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return cmd
	}
	return nil
}

// step is the open step, nil on the welcome and summary pages.
func (m Model) step() *lessons.Step {
	if m.page != pageStep || m.cur < 0 || m.cur >= len(m.steps) {
		return nil
	}
	return m.steps[m.cur]
}

func (m Model) indexOf(st *lessons.Step) int {
	for i, s := range m.steps {
		if s == st || st != nil && s.ID == st.ID {
			return i
		}
	}
	return 0
}

func (m *Model) loaded(msg loadedMsg) tea.Cmd {
	if msg.err != nil {
		m.loadErr = msg.err
		return tea.Batch(m.setFlash("Cannot read your progress: "+msg.err.Error(), flashError), m.refreshText(scrollTop))
	}
	m.prog, m.welcome = msg.prog, msg.welcome
	m.cur = m.indexOf(msg.current)
	m.target, m.outline.selected = m.cur, m.cur
	var cmds []tea.Cmd
	warned := len(m.cfg.warnings) > 0
	if warned {
		cmds = append(cmds, m.setFlash(joinErrors(m.cfg.warnings), flashWarning))
	}
	if msg.firstRun {
		m.page = pageWelcome
		cmds = append(cmds, m.refreshText(scrollTop))
	} else {
		if msg.entered != nil {
			m.enterSeq++
			e := *msg.entered
			e.seq, e.idx = m.enterSeq, m.cur
			cmds = append(cmds, m.entered(e))
		} else {
			cmds = append(cmds, m.enterStep(m.cur))
		}
		if !warned {
			cmds = append(cmds, m.setFlash(fmt.Sprintf("Welcome back: step %s, %s.", msg.current.Number, msg.current.Title), flashInfo))
		}
	}
	return tea.Batch(cmds...)
}

// enterStep asks the session to open a step; entered shows it.
func (m *Model) enterStep(idx int) tea.Cmd {
	if idx < 0 || idx >= len(m.steps) {
		return nil
	}
	if m.inClass {
		if l, held := present.HeldLesson(m.course, m.steps[idx], m.class.HoldLesson); held {
			m.outline.selected = m.cur
			return m.setFlash(present.LessonOpensSoon(l), flashWarning) // in full, above the status line if need be
		}
	}
	m.enterSeq++
	m.target = idx
	return enterCmd(m.b, m.enterSeq, idx, m.steps[idx])
}

func (m *Model) entered(msg enteredMsg) tea.Cmd {
	if msg.seq != m.enterSeq {
		return nil // the learner moved on already
	}
	if msg.err != nil {
		m.target = m.cur
		return m.setFlash(msg.err.Error(), flashError)
	}
	changed := m.page != pageStep || m.cur != msg.idx
	m.page, m.cur, m.prog, m.info, m.solution = pageStep, msg.idx, msg.prog, msg.info, nil
	m.outline.selected = m.cur
	st := m.steps[m.cur]
	if m.flash.step != "" && m.flash.step != st.ID {
		m.flash = flash{} // a verdict's line is about the step it came from
		m.relayout()
	}
	var cmds []tea.Cmd
	if changed {
		if m.checking.active {
			m.checking.cancel() // its verdict would be for the step left behind
			m.checking = checkRun{}
			m.recheck = ""
		}
		m.results.clear(st.ID)
		if !m.job.active {
			m.output.clear(st.ID)
			m.bottomTab = paneResults
		}
		cmds = append(cmds, m.startWatch())
	}
	m.refreshResults()
	m.refreshOutput()
	after := scrollKeep
	if changed {
		after = scrollTop
	}
	cmds = append(cmds, m.refreshText(after), m.sayDockerBuild())
	return tea.Batch(cmds...)
}

func (m *Model) refreshed(msg refreshedMsg) tea.Cmd {
	if msg.err != nil {
		return m.setFlash(msg.err.Error(), flashError)
	}
	m.prog = msg.prog
	st := m.step()
	if st == nil || st.ID != msg.step {
		return m.refreshText(scrollKeep)
	}
	m.info = msg.info
	if msg.reset {
		m.results.clear(st.ID)
		m.solution = nil
		if !m.job.active {
			m.output.clear(st.ID)
		}
	}
	m.refreshResults()
	m.refreshOutput()
	after := scrollKeep
	if msg.scrollEnd {
		after = scrollEnd
	}
	var cmds []tea.Cmd
	cmds = append(cmds, m.refreshText(after))
	if msg.note != "" {
		cmds = append(cmds, m.setFlash(msg.note, flashInfo))
	}
	return tea.Batch(cmds...)
}

func (m *Model) solutionArrived(msg solutionMsg) tea.Cmd {
	st := m.step()
	if st == nil || st.ID != msg.step {
		return nil
	}
	if msg.err != nil {
		return m.setFlash("Cannot show the solution: "+msg.err.Error(), flashError)
	}
	m.solution = msg.files
	if m.solution == nil {
		m.solution = map[string]string{}
	}
	return m.refreshText(scrollTop)
}

// --- running the action -------------------------------------------------

func (m *Model) startAction(what string) tea.Cmd {
	st := m.step()
	if st == nil || m.job.active {
		return nil
	}
	m.nextID++
	ctx, cancel := context.WithCancel(m.ctx)
	m.job = jobRun{id: m.nextID, active: true, what: what, step: st, cancel: cancel}
	action := m.b.Run
	if what == "solution" {
		action = m.b.Solve
	}
	m.output.begin(st.ID, what, m.cfg.now())
	if m.lay.Tabbed {
		m.bottomTab = paneOutput
		if m.focus == paneResults {
			m.focus = paneOutput
		}
	}
	m.refreshOutput()
	return tea.Batch(startJob(ctx, m.job.id, st, action), m.spin())
}

func (m *Model) jobEnded(msg jobEndedMsg) tea.Cmd {
	if msg.id != m.job.id || !m.job.active {
		return nil
	}
	job := m.job
	job.cancel()
	m.job = jobRun{}
	now := m.cfg.now()
	var cmds []tea.Cmd
	switch {
	case msg.err == nil:
		m.output.end(jobDone, nil, now)
		if cur := m.step(); cur != nil && cur.ID == job.step.ID {
			cmds = append(cmds, m.startCheck("after the "+job.what))
		}
	case job.cancelled || errors.Is(msg.err, context.Canceled):
		m.output.end(jobAborted, msg.err, now)
		cmds = append(cmds, m.setFlash("Aborted: nothing more runs.", flashWarning))
	default:
		m.output.end(jobFailed, msg.err, now)
		end, _ := present.ActionEnd(job.what, msg.err, false)
		cmds = append(cmds, m.setFlash(end.Text, flashError))
	}
	m.refreshOutput()
	return tea.Batch(cmds...)
}

// --- checking ------------------------------------------------------------

// startCheck checks the open step now, or right after the check in flight.
func (m *Model) startCheck(reason string) tea.Cmd {
	st := m.step()
	if st == nil || len(st.Checks) == 0 || !m.checkable(st) {
		return nil
	}
	if m.checking.active {
		m.recheck = reason
		return nil
	}
	ctx := m.beginCheck(st, reason, false)
	return tea.Batch(checkCmd(ctx, m.b, m.checking.id, st), m.spin())
}

// beginCheck starts the check run of st in the model: a new id, a context
// the next step or check cancels, and the results pane saying why.
func (m *Model) beginCheck(st *lessons.Step, reason string, gaveUp bool) context.Context {
	m.nextID++
	ctx, cancel := context.WithCancel(m.ctx)
	m.checking = checkRun{id: m.nextID, active: true, step: st, cancel: cancel, gaveUp: gaveUp}
	m.results.state, m.results.reason = checkRunning, reason
	m.refreshResults()
	return ctx
}

func (m *Model) startAnswer(value string) tea.Cmd {
	st := m.step()
	if st == nil || m.checking.active {
		return nil
	}
	m.bottomTab = paneResults
	ctx := m.beginCheck(st, "your answer", false)
	return tea.Batch(answerCmd(ctx, m.b, m.checking.id, st, value), m.spin())
}

// startSolvedAnswer records the step's reference answer (the learner gave
// up) and checks it, as an answer is checked: the verdict then says where
// each value was.
func (m *Model) startSolvedAnswer() tea.Cmd {
	st := m.step()
	if st == nil || m.checking.active {
		return nil
	}
	m.bottomTab = paneResults
	ctx := m.beginCheck(st, "the reference answer", true)
	return tea.Batch(solvedAnswerCmd(ctx, m.b, m.checking.id, st), m.spin())
}

// checkable reports whether checking the step means anything now: an
// exercise always, a quiz or free answer once answered.
func (m Model) checkable(st *lessons.Step) bool {
	switch st.Kind {
	case lessons.KindExercise:
		return true
	case lessons.KindQuiz, lessons.KindAnswer:
		sp, ok := m.prog.Steps[st.ID]
		return ok && len(sp.Answer) > 0
	}
	return false
}

func (m *Model) checkDone(msg checkDoneMsg) tea.Cmd {
	if msg.id != m.checking.id || !m.checking.active {
		return nil
	}
	run := m.checking
	run.cancel()
	m.checking = checkRun{}
	wasPassed := m.prog.StatusOf(msg.step) == progress.Passed
	if msg.progOK {
		m.prog = msg.prog
	}
	st := m.step()
	if st == nil || st.ID != msg.step {
		return nil
	}
	var cmds []tea.Cmd
	m.results.state = checkIdle
	switch {
	case run.cancelled || errors.Is(msg.err, context.Canceled):
		m.results.state = checkAborted
		cmds = append(cmds, m.setFlash(present.CheckAborted, flashWarning))
	case msg.err != nil:
		m.results.err = msg.err
		m.results.verdict = nil
		cmds = append(cmds, m.setFlash(present.CheckFailed(msg.err, present.FullScreen), flashError))
	default:
		v := msg.verdict
		// A re-check that finds what the last one found (watch mode sees
		// a tag or a save that changed nothing) leaves the learner where
		// they scrolled to in the evidence; news starts from the top.
		if m.results.verdict == nil || !m.results.verdict.SameFindings(v) {
			m.results.vp.GotoTop()
		}
		m.results.err = nil
		m.results.verdict = &v
		if m.lay.Tabbed && !m.job.active {
			m.bottomTab = paneResults
			if m.focus == paneOutput {
				m.focus = paneResults
			}
		}
		if line, role := present.Arrival(v, wasPassed, st.Number, m.cur == len(m.steps)-1, present.FullScreen); line != "" {
			kind := flashSuccess
			if role == present.RoleErrored {
				kind = flashError
			}
			cmds = append(cmds, m.setFlash(line, kind))
			m.flash.step = st.ID
		}
	}
	m.refreshResults()
	after := scrollKeep
	if run.gaveUp && msg.err == nil {
		after = scrollEnd // where "Your answer" now shows the reference answer
	}
	cmds = append(cmds, m.refreshText(after)) // a quiz shows the recorded answer
	if m.recheck != "" {
		reason := m.recheck
		m.recheck = ""
		cmds = append(cmds, m.startCheck(reason))
	}
	return tea.Batch(cmds...)
}

// --- watching --------------------------------------------------------------

// startWatch watches the open exercise for changes, replacing any watcher.
func (m *Model) startWatch() tea.Cmd {
	m.stopWatch()
	st := m.step()
	if st == nil || st.Kind != lessons.KindExercise || len(st.Checks) == 0 {
		return nil
	}
	m.nextID++
	ctx, cancel := context.WithCancel(m.ctx)
	m.watch = watchRun{id: m.nextID, active: true, step: st.ID, cancel: cancel}
	return watchCmd(ctx, m.b, m.watch.id, st)
}

func (m *Model) stopWatch() {
	if m.watch.active {
		m.watch.cancel()
	}
	m.watch = watchRun{}
}

func (m *Model) retryWatch(id int) tea.Cmd {
	if m.cfg.watchRetry <= 0 {
		return nil
	}
	return tea.Tick(m.cfg.watchRetry, func(time.Time) tea.Msg { return watchRetryMsg{id: id} })
}

func (m *Model) watchStarted(msg watchStartedMsg) tea.Cmd {
	if msg.id != m.watch.id || !m.watch.active {
		if msg.err == nil && msg.changes != nil {
			return drainChanges(msg.changes) // its context is cancelled: it closes soon
		}
		return nil
	}
	if msg.err != nil {
		return tea.Batch(
			m.setFlash("Not watching for changes ("+msg.err.Error()+"): press c to check.", flashWarning),
			m.retryWatch(msg.id))
	}
	m.watch.watching = true
	return waitChange(msg.id, msg.changes)
}

// --- Docker ------------------------------------------------------------------

func (m *Model) dockerStatus(msg dockerStatusMsg) tea.Cmd {
	prev, known := m.docker, m.dockerKnown
	m.docker, m.dockerKnown = msg.status, true
	var cmds []tea.Cmd
	if m.cfg.dockerEvery > 0 {
		cmds = append(cmds, tea.Tick(m.cfg.dockerEvery, func(time.Time) tea.Msg { return dockerPollMsg{} }))
	}
	switch {
	case known && prev.Reachable && !msg.status.Reachable:
		cmds = append(cmds, m.setFlash("Docker went away: "+cmp.Or(msg.status.Problem, "it does not answer."), flashError))
	case known && !prev.Reachable && msg.status.Reachable:
		cmds = append(cmds, m.setFlash("Docker is back.", flashSuccess))
		if m.watch.active && !m.watch.watching {
			cmds = append(cmds, m.startWatch()) // its event stream ended with the daemon
		}
	}
	if m.page == pageWelcome {
		cmds = append(cmds, m.refreshText(scrollKeep))
	}
	m.refreshResults()
	return tea.Batch(cmds...)
}

// --- status messages and the spinner -----------------------------------------

// setFlash shows a message in the status line until it expires.
func (m *Model) setFlash(text string, kind flashKind) tea.Cmd {
	m.nextID++
	m.flash = flash{text: text, kind: kind, id: m.nextID}
	relayout := m.relayout() // a long message takes lines above the status line
	d := m.cfg.flashFor
	if d <= 0 {
		return relayout
	}
	if kind == flashError {
		d *= 2 // errors get time to be read
	}
	id := m.nextID
	return tea.Batch(relayout, tea.Tick(d, func(time.Time) tea.Msg { return flashExpiredMsg{id: id} }))
}

func (m *Model) spin() tea.Cmd {
	if !m.cfg.animate || m.spinning {
		return nil
	}
	m.spinning = true
	return m.spinner.Tick
}

// --- panes ---------------------------------------------------------------

// relayout recomputes the layout and sizes the panes after a change of
// window size, outline, prompt or styles.
func (m *Model) relayout() tea.Cmd {
	m.lay = computeLayout(m.width, m.height, m.outlineVisible(), m.prompt.kind != promptNone, len(m.messageLines()))
	if m.lay.TooSmall {
		return nil
	}
	t := m.lay.Text.inner()
	m.text.resize(t.W, t.H)
	r := m.lay.Results.inner()
	m.results.vp.SetWidth(r.W)
	m.results.vp.SetHeight(r.H)
	o := m.lay.Output.inner()
	m.output.vp.SetWidth(o.W)
	m.output.vp.SetHeight(o.H)
	m.help.SetWidth(m.width)
	m.prompt.input.SetWidth(max(m.width-ansiWidth(m.prompt.input.Prompt)-2, 10))
	if m.focus == paneOutline && m.lay.Outline.empty() {
		m.focus = paneText
	}
	m.refreshResults()
	m.refreshOutput()
	return m.text.render(m.cfg.renderer, m.styles.Markdown)
}

func (m Model) outlineVisible() bool {
	return m.outlineShown || m.prompt.kind == promptSearch
}

// refreshText rebuilds the text pane's document and asks for a rendering.
func (m *Model) refreshText(after scrollTo) tea.Cmd {
	m.text.setDoc(m.document(), after)
	return m.text.render(m.cfg.renderer, m.styles.Markdown)
}

func (m Model) document() string {
	switch m.page {
	case pageWelcome:
		w := m.welcome
		w.Course, w.Docker, w.DockerKnown, w.Keys = m.course, m.docker, m.dockerKnown, welcomeKeys(m.keys)
		return present.WelcomeDoc(w, present.FullScreen)
	case pageStep:
		if m.solution != nil {
			return present.SolutionDoc(m.steps[m.cur], m.solution, m.steps[m.cur].Kind == lessons.KindExercise)
		}
		info := m.info
		info.DockerBuild = m.buildNote.builder // found once a session, after the step was described
		return present.StepDoc(info, m.prog, m.cur == len(m.steps)-1, present.FullScreen)
	case pageSummary:
		return present.SummaryDoc(m.course, m.prog, present.FullScreen)
	}
	if m.loadErr != nil {
		return "# Your progress could not be read\n\n" + m.loadErr.Error() + "\n\nPress **q** to quit.\n"
	}
	return "Loading…\n"
}

func (m *Model) refreshResults() {
	w := m.results.vp.Width()
	m.results.vp.SetContent(m.results.content(w, m.styles, m.resultsView()))
}

func (m Model) resultsView() resultsView {
	v := resultsView{docker: m.docker, dockerKnown: m.dockerKnown, step: m.step(), action: m.info.Action}
	if v.step != nil {
		v.status = m.prog.StatusOf(v.step.ID)
	}
	return v
}

func (m *Model) refreshOutput() {
	m.output.refresh(m.styles, outputPlaceholder(m.step(), m.info.Action, m.buildNote.builder))
}

// scrollSideways moves a pane by n columns (negative is left); only the
// text and the output pane have lines wider than themselves.
func (m *Model) scrollSideways(p paneID, n int) {
	switch p {
	case paneText:
		m.text.scrollSideways(n)
	case paneOutput:
		m.output.vp.ScrollSideways(n)
	}
}

// scroll moves a pane by n lines (negative is up).
func (m *Model) scroll(p paneID, n int) {
	switch p {
	case paneOutline:
		m.outline.selected = min(max(m.outline.selected+sign(n), 0), len(m.steps)-1)
	case paneText:
		scrollViewport(&m.text.vp, n)
	case paneResults:
		scrollViewport(&m.results.vp, n)
	case paneOutput:
		if n < 0 {
			m.output.vp.ScrollUp(-n)
		} else {
			m.output.vp.ScrollDown(n)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// joinErrors puts the session's warnings on the status line's one line.
func joinErrors(errs []error) string {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}
