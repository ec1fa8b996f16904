package plain

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// waitWatchers waits until the fake has n watchers running.
func waitWatchers(t *testing.T, b *fake.Session, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.Watchers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d watchers running, want %d", b.Watchers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPlainWatchPrintsEachNewVerdictBetweenPrompts(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	r, w := io.Pipe()
	s := startPlain(t, b, Options{Course: b.Course}, r, w)
	at := s.out.waitOutput(t, 0, plainPrompt)
	s.send(t, "w\n")
	at = s.out.waitWords(t, at, "Watching step 2.1: a change in its folder or to its images checks it again. Type w to stop.\n")
	waitWatchers(t, b, 1)

	// The learner has typed half a command when the build ends elsewhere.
	s.send(t, "g 2.")
	b.WaitWatching(t, 1)
	leakBuild, _ := b.Course.Step("leak-build")
	b.BuiltElsewhere(t, leakBuild, "ann-0a1b2c/dockertutor/buildargtest:latest")
	block := plainPrompt + "\n" +
		"Checked step 2.1 again (image ann-0a1b2c/dockertutor/buildargtest:latest\ntagged):\n" +
		"PASS: ann-0a1b2c/dockertutor/buildargtest was built after you opened this"
	at = s.out.waitOutput(t, at, block)
	at = s.out.waitOutput(t, at, "PASS: Your secret is in ann-0a1b2c/dockertutor/buildargtest")
	at = s.out.waitOutput(t, at, "Step passed. Type n for the next step.\n\n"+plainPrompt)

	// The same verdict again takes one line.
	b.Save(t, leakBuild, "Dockerfile", "FROM alpine:3.22\nARG BUILD_REPO_SECRET\nRUN echo \"token has ${#BUILD_REPO_SECRET} characters\"\n")
	at = s.out.waitOutput(t, at, "\nChecked step 2.1 again (Dockerfile changed): the same as before, passed.\n\n"+plainPrompt)

	// The half-typed command survives the blocks; watching follows it.
	s.send(t, "3\n")
	at = s.out.waitOutput(t, at, "Step 2.3 of 5")
	at = s.out.waitOutput(t, at, "Watching step 2.3:")
	waitWatchers(t, b, 1)
	fix, _ := b.Course.Step("fix")
	b.Save(t, fix, "Dockerfile", "FROM alpine:3.22\nARG BUILD_REPO_SECRET\n")
	at = s.out.waitOutput(t, at, "Checked step 2.3 again (Dockerfile changed):\nFAIL: ")
	at = s.out.waitOutput(t, at, "Not yet: 3 of 3 checks did not pass.\n")

	// A step with nothing to watch leaves watching on for the next.
	s.send(t, "p\n")
	at = s.out.waitWords(t, at, "Watching is on; step 2.2 has nothing to watch, so it starts again at the next")
	waitWatchers(t, b, 0)
	s.send(t, "n\n")
	at = s.out.waitOutput(t, at, "Watching step 2.3:")
	waitWatchers(t, b, 1)

	s.send(t, "w\n")
	at = s.out.waitOutput(t, at, "Watching is off.\n")
	if n := b.Watchers(); n != 0 {
		t.Fatalf("%d watchers left after w turned watching off", n)
	}
	s.send(t, "w\n")
	s.out.waitWords(t, at, "Watching step 2.3:")
	waitWatchers(t, b, 1)
	s.finish(t, "q\n") // quitting while watching
	if n := b.Watchers(); n != 0 {
		t.Errorf("%d watchers left after quitting", n)
	}
	checks := 0
	for _, c := range b.Calls() {
		if strings.HasPrefix(c, "Check ") {
			checks++
		}
	}
	if checks != 3 {
		t.Errorf("%d checks, want 3 (one a change seen while watching): %v", checks, b.Calls())
	}
	for _, line := range strings.Split(s.out.String(), "\n") {
		if len([]rune(strings.TrimPrefix(line, plainPrompt))) > 80 && !keptWhole(line) {
			t.Errorf("line longer than 80 columns: %q", line)
		}
	}
}

func TestPlainWatchStopsOnInterrupt(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	r, w := io.Pipe()
	s := startPlain(t, b, Options{Course: b.Course, Poll: true}, r, w)
	s.send(t, "w\n")
	s.out.waitWords(t, 0, "Watching step 2.1: a change in its folder (looked for every second, as --poll asks) or to its images checks it again.")
	waitWatchers(t, b, 1)
	s.cancel()
	if err := s.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	if n := b.Watchers(); n != 0 {
		t.Errorf("%d watchers left after an interrupt", n)
	}
}

// Nothing is printed while the editor has the terminal: a change seen
// meanwhile is checked once the learner is back.
func TestPlainWatchWaitsForTheEditor(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	editor, _ := readingEditor(t)
	t.Setenv("EDITOR", editor)
	r, w := io.Pipe()
	s := startPlain(t, b, Options{Course: b.Course}, r, w)
	s.send(t, "w\n")
	at := s.out.waitOutput(t, 0, "Watching step 2.1")
	s.send(t, "e\n")
	at = s.out.waitOutput(t, at, "Close the editor to come back here.\n")
	leakBuild, _ := b.Course.Step("leak-build")
	b.Save(t, leakBuild, "Dockerfile", "FROM alpine:3.22\n")
	time.Sleep(200 * time.Millisecond)
	if strings.Contains(s.out.String()[at:], "Checked") {
		t.Fatalf("a verdict was printed over the editor:\n%s", s.out.String()[at:])
	}
	s.send(t, "saved\n")
	at = s.out.waitOutput(t, at, "Back from the editor. Watching checks the step if the file changed.\n")
	s.out.waitOutput(t, at, "Checked step 2.1 again (Dockerfile changed):\nFAIL: There is no image ann-0a1b2c/dockertutor/buildargtest")
	s.finish(t, "q\n")
}

// A check the learner asks for answers the changes already seen.
func TestPlainWatchAfterACheckSaysARepeatInOneLine(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	r, w := io.Pipe()
	s := startPlain(t, b, Options{Course: b.Course}, r, w)
	s.send(t, "w\nc\n")
	at := s.out.waitOutput(t, 0, "Not yet: 3 of 3 checks did not pass.\n")
	fix, _ := b.Course.Step("fix")
	b.Save(t, fix, "Dockerfile", "FROM alpine:3.22\n")
	s.out.waitOutput(t, at, "Checked step 2.3 again (Dockerfile changed): the same as before, not passed yet.\n")
	s.finish(t, "q\n")
}

func TestPlainWatchSaysWhyItCannot(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	out := runPlainWith(t, failingWatch{b}, b.Course, "w", "q")
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "Cannot watch step 2.1: no inotify watches left. Watching is off; type c to check by hand.") {
		t.Errorf("a watcher that cannot start:\n%s", out)
	}
}

// failingWatch is a session whose watcher cannot start.
type failingWatch struct{ *fake.Session }

func (failingWatch) Watch(ctx context.Context, st *lessons.Step) (<-chan tutor.Change, error) {
	return nil, errors.New("no inotify watches left")
}

// endingWatch is a session whose watcher gives up at once.
type endingWatch struct{ *fake.Session }

func (endingWatch) Watch(ctx context.Context, st *lessons.Step) (<-chan tutor.Change, error) {
	ch := make(chan tutor.Change)
	close(ch)
	return ch, nil
}

func TestPlainWatchSaysWhenTheWatcherEnds(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	out := runPlainWith(t, endingWatch{b}, b.Course, "w", "l", "q")
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "Watching step 2.1 stopped by itself. Type w to watch again, or c to check.") {
		t.Errorf("a watcher that ends:\n%s", out)
	}
}

// queuedWatch is a session whose watcher hands out what the test queues.
type queuedWatch struct {
	*fake.Session
	queue chan tutor.Change
}

func (q queuedWatch) Watch(ctx context.Context, st *lessons.Step) (<-chan tutor.Change, error) {
	go func() {
		<-ctx.Done()
		close(q.queue) // one Watch per test: the queue is its channel
	}()
	return q.queue, nil
}

// A change seen while the learner's own check ran is answered by it: no
// second check, no second verdict.
func TestPlainWatchForgetsChangesACheckAnswered(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	gate := make(chan struct{})
	b.GateChecks(gate)
	q := queuedWatch{b, make(chan tutor.Change, 4)}
	r, w := io.Pipe()
	s := startPlain(t, q, Options{Course: b.Course}, r, w)
	s.send(t, "w\n")
	at := s.out.waitOutput(t, 0, "Watching step 2.3")
	s.send(t, "c\n")
	at = s.out.waitOutput(t, at, "Checking step 2.3…\n")
	q.queue <- tutor.Change{Reason: "Dockerfile changed"} // saved while the check runs
	close(gate)                                           // this check ends, and any other would pass at once
	at = s.out.waitOutput(t, at, "Not yet: 3 of 3 checks did not pass.\n")
	s.finish(t, "l\nq\n")
	if rest := s.out.String()[at:]; strings.Contains(rest, "Checked step") {
		t.Errorf("a change the check answered brought another verdict:\n%s", rest)
	}
}
