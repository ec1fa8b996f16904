package fake

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// Secret is the learner's canary in every test session, so that screens
// and messages read the same on every run.
const Secret = "canary-5f3a9c"

// Learner is the learner id of every fake session, so that screens name
// the same images run after run.
const Learner = "ann-0a1b2c"

// Clock is the time the test sessions live at.
var Clock = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// Session is the learner's real session (tutor.Session: real progress
// file, real workspace, real checks, builds and runs) on the shared fake
// daemon, with the few hooks the interfaces' tests need: the calls the
// interface made, a check held until the test lets it go, a check that
// fails, and the watchers still running.
type Session struct {
	*tutor.Session
	// Daemon is the daemon the session talks to; tests set up what it
	// holds (an image with a secret in its history, a build that hangs)
	// or stop it.
	Daemon *fakedaemon.Daemon

	// Build, when its Builder is set, is what DockerBuild answers: the
	// learner's own docker build, as a test wants it.
	Build engine.DockerBuild

	mu        sync.Mutex
	calls     []string
	checkGate chan struct{}
	checkErr  error
	watchers  int
}

// Open opens a session in the course, in a fresh workspace and state
// folder, on a fake daemon that builds from the step's Dockerfile. The
// learner is new (no step entered) and their canary is Secret.
func Open(t testing.TB, c *lessons.Course) *Session {
	t.Helper()
	return OpenIn(t, c, filepath.Join(t.TempDir(), "dockertutor"), t.TempDir())
}

// OpenIn is Open with the workspace root and state folder given.
func OpenIn(t testing.TB, c *lessons.Course, workspaceRoot, stateDir string) *Session {
	t.Helper()
	d := fakedaemon.New()
	d.BuildDockerfiles()
	d.SetClock(func() time.Time { return Clock })
	d.SetVersion(client.ServerVersionResult{Version: "28.5.1", APIVersion: "1.51", Os: "linux"})
	t.Cleanup(d.CloseSessions)
	// The learner id is read when the session opens: set it first, as a
	// learner's saved progress would.
	store, err := progress.Open(stateDir, c.ID)
	if err == nil {
		_, err = store.Update(c.ID, func(p *progress.Progress) error { p.Learner = Learner; return nil })
	}
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tutor.Open(tutor.Options{
		Course: c, WorkspaceRoot: workspaceRoot, StateDir: stateDir,
		Now: func() time.Time { return Clock },
		// The fake daemon answers builds as the classic builder does; it
		// does not serve BuildKit's session.
		Builder: lessons.BuilderClassic,
		Connect: func(context.Context) (daemon.Client, error) { return d, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	s := &Session{Session: ts, Daemon: d}
	s.SetProgress(t, func(p *progress.Progress) { p.Secret = Secret })
	return s
}

// SetProgress changes the saved progress (a returning learner).
func (s *Session) SetProgress(t testing.TB, fn func(p *progress.Progress)) {
	t.Helper()
	if _, err := s.Update(func(p *progress.Progress) error { fn(p); return nil }); err != nil {
		t.Fatal(err)
	}
}

func (s *Session) log(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, fmt.Sprintf(format, args...))
}

// Calls returns what the interface asked for, in order ("Enter pick", ...).
func (s *Session) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// CountCalls counts one call in Calls.
func (s *Session) CountCalls(call string) int {
	n := 0
	for _, c := range s.Calls() {
		if c == call {
			n++
		}
	}
	return n
}

// GateChecks makes each later Check wait for a value on gate (or its ctx)
// before it looks, so a test can see the interface while a check runs.
func (s *Session) GateChecks(gate chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkGate = gate
}

// FailChecks makes each later Check fail with err, as an unreadable
// progress file would.
func (s *Session) FailChecks(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkErr = err
}

// HoldBuilds makes each later build print its first step and then wait
// until it is cancelled, as a long build does.
func (s *Session) HoldBuilds() {
	s.Daemon.OnBuild(func(ctx context.Context, _ client.ImageBuildOptions) (io.ReadCloser, error) {
		r, w := io.Pipe()
		go func() {
			io.WriteString(w, `{"stream":"Step 1/3 : FROM alpine:3.22\n"}`+"\n")
			<-ctx.Done()
			w.CloseWithError(ctx.Err())
		}()
		return r, nil
	})
}

// Watchers counts the watchers still running: each Watch adds one until
// its channel is closed.
func (s *Session) Watchers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watchers
}

// Tagged tells the session's watchers that an image was tagged, as
// `docker build -t` in another terminal does: the daemon logs the event.
func (s *Session) Tagged(ref string) {
	s.Daemon.AddEvent(events.Message{Type: events.ImageEventType, Action: events.ActionTag, TimeNano: time.Now().UnixNano(),
		Actor: events.Actor{ID: "sha256:0", Attributes: map[string]string{"name": ref}}})
}

// Save writes a file in the step's folder, as the learner's editor does.
func (s *Session) Save(t testing.TB, st *lessons.Step, name, content string) {
	t.Helper()
	p := filepath.Join(s.Work.StepDir(st), name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The methods below log the call and hand it to the real session.

func (s *Session) Enter(st *lessons.Step) (progress.Progress, []string, error) {
	s.log("Enter %s", st.ID)
	return s.Session.Enter(st)
}

func (s *Session) NextHint(st *lessons.Step) (tutor.Hint, error) {
	s.log("NextHint %s", st.ID)
	return s.Session.NextHint(st)
}

func (s *Session) Answer(ctx context.Context, st *lessons.Step, value string) (check.Verdict, error) {
	s.log("Answer %s %s", st.ID, value)
	return s.Session.Answer(ctx, st, value)
}

func (s *Session) Check(ctx context.Context, st *lessons.Step) (check.Verdict, error) {
	s.log("Check %s", st.ID)
	s.mu.Lock()
	gate, err := s.checkGate, s.checkErr
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return check.Verdict{}, fmt.Errorf("check aborted: %w", ctx.Err())
		}
	}
	if err != nil {
		return check.Verdict{}, err
	}
	return s.Session.Check(ctx, st)
}

func (s *Session) Run(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error {
	s.log("Run %s", st.ID)
	return s.Session.Run(ctx, st, events)
}

func (s *Session) Solve(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error {
	s.log("Solve %s", st.ID)
	return s.Session.Solve(ctx, st, events)
}

func (s *Session) Solution(st *lessons.Step) (map[string]string, error) {
	s.log("Solution %s", st.ID)
	return s.Session.Solution(st)
}

func (s *Session) ResetStep(ctx context.Context, st *lessons.Step) error {
	s.log("ResetStep %s", st.ID)
	return s.Session.ResetStep(ctx, st)
}

// Watch starts the real watcher (the step folder and the daemon's
// events) and counts it until its channel closes.
func (s *Session) Watch(ctx context.Context, st *lessons.Step) (<-chan tutor.Change, error) {
	s.log("Watch %s", st.ID)
	in, err := s.Session.Watch(ctx, st)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.watchers++
	s.mu.Unlock()
	out := make(chan tutor.Change)
	go func() {
		defer close(out) // runs last: the count is down before the channel closes
		defer func() {
			s.mu.Lock()
			s.watchers--
			s.mu.Unlock()
		}()
		for c := range in {
			select {
			case out <- c:
			case <-ctx.Done():
				// The real watcher closes in once ctx ends.
			}
		}
	}()
	return out, nil
}

// WaitWatching waits until n watchers follow the daemon's events, so that
// an event the test logs next reaches them.
func (s *Session) WaitWatching(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Daemon.Following() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d watchers follow the daemon's events, want %d", s.Daemon.Following(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BuiltElsewhere builds the step's folder as `docker build` in the
// learner's own terminal would (with their secret as every build argument
// the step names), tagged image, and logs the tag event the daemon sends.
func (s *Session) BuiltElsewhere(t testing.TB, st *lessons.Step, image string) {
	t.Helper()
	p, err := s.Progress()
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]*string{}
	if st.Action != nil && st.Action.Build != nil {
		for name, val := range st.Action.Build.Args {
			v, err := lessons.Expand(val, s.Values(st, p))
			if err != nil {
				t.Fatal(err)
			}
			args[name] = &v
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dockerfile, err := os.ReadFile(filepath.Join(s.Work.StepDir(st), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(dockerfile)
	tw.Close()
	res, err := s.Daemon.ImageBuild(context.Background(), &buf, client.ImageBuildOptions{Tags: []string{image}, BuildArgs: args})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := io.ReadAll(res.Body); !bytes.Contains(out, []byte("Successfully tagged")) {
		t.Fatalf("the build elsewhere failed:\n%s", out)
	}
	s.Tagged(image)
}

// DockerBuild is Build when a test set it, else the session's own answer.
func (s *Session) DockerBuild(ctx context.Context) engine.DockerBuild {
	if s.Build.Builder != "" {
		return s.Build
	}
	return s.Session.DockerBuild(ctx)
}
