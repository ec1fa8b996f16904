// Package fake is an in-memory learner session for the interface's tests
// and for trying the interface without a daemon: progress lives in memory,
// the workspace is a made-up path, and what Docker would say is scripted.
// Quiz and free answers are judged by the real checks.
package fake

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// Backend is a scripted session. Set the exported fields before use; the
// methods are safe for concurrent use, as the interface calls them from
// commands.
type Backend struct {
	Course *lessons.Course
	// Root is the made-up workspace root shown to the learner.
	Root string
	// Path is the made-up progress file.
	Path string

	mu   sync.Mutex
	prog progress.Progress
	now  func() time.Time

	// Docker is what DockerStatus says.
	Docker tutor.DockerStatus
	// Verdicts are what Check returns for exercises, by step id. A missing
	// step gets a verdict with every check failed.
	Verdicts map[string]check.Verdict
	// CheckErr makes Check fail.
	CheckErr error
	// CheckGate, when set, makes Check wait for a value (or ctx) first.
	CheckGate chan struct{}
	// Events are what Run and Solve send after the command, by step id;
	// EventDelay spaces them out.
	Events     map[string][]tutor.Event
	EventDelay time.Duration
	// RunErr makes Run fail after its events.
	RunErr error
	// RunHold makes Run wait for ctx after its events, like a long build.
	RunHold bool
	// Solutions are the solution files, by step id.
	Solutions map[string]map[string]string
	// WatchErr makes Watch fail.
	WatchErr error

	changes  chan tutor.Change
	watchers int // Watch goroutines still running
	calls    []string
}

// New returns a fake session in a course, with a fresh progress (first run)
// and a reachable daemon.
func New(c *lessons.Course) *Backend {
	now := func() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) }
	return &Backend{
		Course: c,
		Root:   "/home/learner/dockertutor",
		Path:   "/home/learner/.local/state/dockertutor/progress-" + c.ID + ".json",
		prog: progress.Progress{
			Version: progress.SchemaVersion, Course: c.ID, Secret: "canary-5f3a9c",
			Steps: map[string]*progress.StepProgress{}, Created: now(), Updated: now(),
		},
		now: now,
		Docker: tutor.DockerStatus{
			Reachable: true, Endpoint: "unix:///var/run/docker.sock", Source: "default",
			Version: "28.5.1", API: "1.51", Builder: "BuildKit",
		},
		Verdicts:  map[string]check.Verdict{},
		Events:    map[string][]tutor.Event{},
		Solutions: map[string]map[string]string{},
		changes:   make(chan tutor.Change, 16),
	}
}

func (b *Backend) log(format string, args ...any) {
	b.calls = append(b.calls, fmt.Sprintf(format, args...))
}

// Calls returns what the interface asked for, in order ("Enter pick", ...).
func (b *Backend) Calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.calls...)
}

// Change reports a change to whoever watches, as the real watcher would
// when a file or the daemon changes.
func (b *Backend) Change(reason string) {
	b.changes <- tutor.Change{Time: b.now(), Reason: reason}
}

// Watchers counts the watchers still running: each Watch adds one until
// its ctx ends and its channel is closed.
func (b *Backend) Watchers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.watchers
}

// SetProgress replaces the saved progress (a returning learner).
func (b *Backend) SetProgress(fn func(p *progress.Progress)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn(&b.prog)
}

// SetDocker changes what DockerStatus says.
func (b *Backend) SetDocker(d tutor.DockerStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.Docker = d
}

func (b *Backend) Progress() (progress.Progress, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return clone(b.prog), nil
}

func (b *Backend) ProgressPath() string { return b.Path }

// The session logic below is the real one (progress and lessons
// functions); only storage and Docker are made up.

func (b *Backend) CurrentStep(p progress.Progress) *lessons.Step {
	return p.CurrentStep(b.Course)
}

func (b *Backend) Values(st *lessons.Step, p progress.Progress) lessons.Values {
	return b.Course.Values(st, lessons.Learner{Secret: p.Secret, Workspace: b.Root})
}

func (b *Backend) Enter(st *lessons.Step) (progress.Progress, []string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log("Enter %s", st.ID)
	b.prog.Enter(st, b.now())
	return clone(b.prog), nil, nil
}

func (b *Backend) NextHint(st *lessons.Step) (tutor.Hint, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log("NextHint %s", st.ID)
	n := b.prog.RevealHint(st)
	if n == 0 {
		return tutor.Hint{}, fmt.Errorf("step %s has no hints", st.ID)
	}
	text, err := st.Hint(n, b.Values(st, b.prog))
	return tutor.Hint{Number: n, Total: len(st.Hints), Text: text}, err
}

func (b *Backend) RevealedHints(st *lessons.Step, p progress.Progress) []string {
	return p.RevealedHints(st, b.Values(st, p))
}

func (b *Backend) Answer(ctx context.Context, st *lessons.Step, value string) (check.Verdict, error) {
	b.mu.Lock()
	b.log("Answer %s %s", st.ID, value)
	err := b.prog.RecordAnswer(st, value, b.now())
	b.mu.Unlock()
	if err != nil {
		return check.Verdict{}, err
	}
	return b.Check(ctx, st)
}

func (b *Backend) Check(ctx context.Context, st *lessons.Step) (check.Verdict, error) {
	b.mu.Lock()
	b.log("Check %s", st.ID)
	gate, cerr := b.CheckGate, b.CheckErr
	b.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return check.Verdict{}, ctx.Err()
		}
	}
	if cerr != nil {
		return check.Verdict{}, cerr
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var v check.Verdict
	sp := b.prog.Step(st.ID)
	env := check.Env{Step: st, Values: b.Values(st, b.prog), Began: sp.Began, Answer: sp.Answer}
	switch {
	case st.Kind == lessons.KindQuiz || st.Kind == lessons.KindAnswer:
		v = check.Run(ctx, env)
	case !b.Docker.Reachable:
		// The real checks say what an absent daemon means.
		env.DockerErr = errors.New(b.Docker.Problem)
		v = check.Run(ctx, env)
	default:
		var ok bool
		if v, ok = b.Verdicts[st.ID]; !ok {
			v = check.Verdict{Step: st.ID}
			for _, c := range st.Checks {
				v.Results = append(v.Results, check.Result{ID: c.ID, Type: c.Type, Outcome: check.Fail, Message: c.ID + " does not hold yet"})
			}
		}
	}
	if !v.Unreachable() {
		b.prog.Record(st.ID, v.Passed, b.now())
	}
	return v, nil
}

func (b *Backend) ActionCommand(st *lessons.Step) string {
	if st.Action == nil {
		return ""
	}
	b.mu.Lock()
	v := b.Values(st, b.prog)
	b.mu.Unlock()
	if bld := st.Action.Build; bld != nil {
		parts := []string{"docker build"}
		keys := make([]string, 0, len(bld.Args))
		for k := range bld.Args {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val, _ := lessons.Expand(bld.Args[k], v)
			parts = append(parts, fmt.Sprintf("--build-arg %s=%s", k, val))
		}
		tag := bld.Tag
		if tag == "" {
			tag = st.Image
		}
		return strings.Join(append(parts, "-t "+tag, v.Workdir), " ")
	}
	if r := st.Action.Run; r != nil {
		return "docker run --rm " + r.Image
	}
	return ""
}

func (b *Backend) Run(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error {
	b.mu.Lock()
	b.log("Run %s", st.ID)
	b.mu.Unlock()
	return b.play(ctx, st, events)
}

func (b *Backend) Solve(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error {
	b.mu.Lock()
	b.log("Solve %s", st.ID)
	b.mu.Unlock()
	return b.play(ctx, st, events)
}

// play sends the step's scripted events, as a build would.
func (b *Backend) play(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error {
	b.mu.Lock()
	evs, delay, runErr, hold := b.Events[st.ID], b.EventDelay, b.RunErr, b.RunHold
	b.mu.Unlock()
	send := func(ev tutor.Event) error {
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		ev.Time = b.now()
		select {
		case events <- ev:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := send(tutor.Event{Kind: tutor.EventCommand, Text: b.ActionCommand(st)}); err != nil {
		return fmt.Errorf("build aborted: %w", err)
	}
	for _, ev := range evs {
		if err := send(ev); err != nil {
			return fmt.Errorf("build aborted: %w", err)
		}
	}
	if hold {
		<-ctx.Done()
		return fmt.Errorf("build aborted: %w", ctx.Err())
	}
	if runErr != nil {
		_ = send(tutor.Event{Kind: tutor.EventError, Text: runErr.Error()})
		return runErr
	}
	return send(tutor.Event{Kind: tutor.EventDone, Text: "Built " + st.Image})
}

func (b *Backend) Solution(st *lessons.Step) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log("Solution %s", st.ID)
	if b.prog.Steps != nil {
		b.prog.Step(st.ID).SolutionSeen = true
	}
	files, ok := b.Solutions[st.ID]
	if !ok {
		return nil, errors.New("no solution in this fake")
	}
	return files, nil
}

func (b *Backend) ResetStep(ctx context.Context, st *lessons.Step) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log("ResetStep %s", st.ID)
	delete(b.prog.Steps, st.ID)
	return ctx.Err()
}

func (b *Backend) DockerStatus(ctx context.Context) tutor.DockerStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Docker
}

func (b *Backend) Watch(ctx context.Context, st *lessons.Step) (<-chan tutor.Change, error) {
	b.mu.Lock()
	b.log("Watch %s", st.ID)
	err := b.WatchErr
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make(chan tutor.Change)
	b.mu.Lock()
	b.watchers++
	b.mu.Unlock()
	go func() {
		defer close(out) // runs last: the count is down before the channel closes
		defer func() {
			b.mu.Lock()
			b.watchers--
			b.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case c := <-b.changes:
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// clone copies a progress so the caller cannot change the fake's.
func clone(p progress.Progress) progress.Progress {
	c := p
	c.Steps = make(map[string]*progress.StepProgress, len(p.Steps))
	for id, sp := range p.Steps {
		s := *sp
		s.Answer = append([]string(nil), sp.Answer...)
		c.Steps[id] = &s
	}
	return c
}
