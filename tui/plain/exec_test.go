package plain

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/tui/backend"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// syncBuffer is the plain mode's output, read by the test while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitOutput waits until the output from offset from on holds want, and
// returns the offset after it.
func (b *syncBuffer) waitOutput(t *testing.T, from int, want string) int {
	t.Helper()
	return b.waitMatch(t, from, want, func(s string) int {
		if i := strings.Index(s, want); i >= 0 {
			return i + len(want)
		}
		return -1
	})
}

// waitWords is waitOutput for a message the plain mode may wrap: any run of
// spaces and line ends matches any other.
func (b *syncBuffer) waitWords(t *testing.T, from int, want string) int {
	t.Helper()
	words := strings.Fields(want)
	return b.waitMatch(t, from, want, func(s string) int {
		// The flattened output, with where each of its bytes came from.
		var flat []byte
		var orig []int
		space := true
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == ' ' || c == '\n' || c == '\t' {
				if !space {
					flat, orig = append(flat, ' '), append(orig, i)
				}
				space = true
				continue
			}
			flat, orig, space = append(flat, s[i]), append(orig, i), false
		}
		w := strings.Join(words, " ")
		if i := strings.Index(string(flat), w); i >= 0 {
			return orig[i+len(w)-1] + 1
		}
		return -1
	})
}

func (b *syncBuffer) waitMatch(t *testing.T, from int, want string, match func(string) int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := b.String()
		if end := match(s[from:]); end >= 0 {
			return from + end
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plain mode never printed %q; it printed:\n%s", want, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// plainSession is the plain mode running in the background on a pipe.
type plainSession struct {
	out    *syncBuffer
	in     io.WriteCloser
	done   chan error
	cancel context.CancelFunc
}

func startPlain(t *testing.T, b backend.Session, opts Options, in io.Reader, inW io.WriteCloser) *plainSession {
	t.Helper()
	out := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	opts.In, opts.Out = in, out
	s := &plainSession{out: out, in: inW, done: make(chan error, 1), cancel: cancel}
	go func() { s.done <- Run(ctx, b, opts) }()
	t.Cleanup(func() {
		cancel()
		inW.Close()
	})
	return s
}

// finish types the last input, which quits, and waits for the plain
// mode to end well.
func (s *plainSession) finish(t *testing.T, input string) {
	t.Helper()
	s.send(t, input)
	if err := s.wait(t); err != nil {
		t.Fatalf("Run: %v\n%s", err, s.out.String())
	}
}

// send types text; on a pipe it waits until the plain mode reads it.
func (s *plainSession) send(t *testing.T, text string) {
	t.Helper()
	written := make(chan error, 1)
	go func() {
		_, err := io.WriteString(s.in, text)
		written <- err
	}()
	select {
	case err := <-written:
		if err != nil {
			t.Fatalf("writing %q to the plain mode: %v", text, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the plain mode did not read %q; it printed:\n%s", text, s.out.String())
	}
}

func (s *plainSession) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("the plain mode did not end; it printed:\n%s", s.out.String())
		return nil
	}
}

// script writes an executable shell script for a test's child process.
func script(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the child processes here are POSIX shell scripts")
	}
	p := filepath.Join(t.TempDir(), "child.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// readingEditor is an $EDITOR that reads one line from its stdin and
// writes the file it was given and that line to $DT_GOT.
func readingEditor(t *testing.T) (editor, got string) {
	got = filepath.Join(t.TempDir(), "got")
	t.Setenv("DT_GOT", got)
	t.Setenv("VISUAL", "")
	return script(t, `read line
printf '%s\n%s\n' "$1" "$line" > "$DT_GOT"
`), got
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the child wrote nothing: %v", err)
	}
	return string(data)
}

// Typed ahead in one go, through a pipe that is a file (as when the tutor
// is started with its input piped): the line after e is the editor's, and
// the q after it reaches the prompt. A reader that read ahead, as a
// buffered scanner would, leaves the editor nothing and the prompt an
// unknown command.
func TestPlainEditorGetsTheLinesTypedForIt(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	editor, got := readingEditor(t)
	t.Setenv("EDITOR", editor)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := startPlain(t, b, Options{Course: b.Course}, r, w)
	s.finish(t, "e\nhello from the learner\nq\n")
	p, _ := b.Progress()
	file := b.Values(b.Course.Steps()[2], p).Workdir + "/Dockerfile"
	if want := file + "\nhello from the learner\n"; readFile(t, got) != want {
		t.Errorf("the editor got %q, want %q", readFile(t, got), want)
	}
	out := s.out.String()
	for _, want := range []string{
		"Opening " + file + " in child.sh. Close the editor to come back here.",
		"Back from the editor. Type c to check the step.\n",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Unknown command") {
		t.Errorf("the editor's line reached the prompt:\n%s", out)
	}
}

// Through a reader that is not a file, the editor is fed from the plain
// mode's own input while it runs, and what comes after goes to the prompt.
func TestPlainEditorIsFedFromAReaderThatIsNotAFile(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	editor, got := readingEditor(t)
	t.Setenv("EDITOR", editor+" --wait") // an editor named with its flags
	r, w := io.Pipe()
	s := startPlain(t, b, Options{Course: b.Course}, r, w)
	at := s.out.waitOutput(t, 0, plainPrompt)
	s.send(t, "e\n")
	at = s.out.waitOutput(t, at, "Close the editor to come back here.")
	s.send(t, "the editor's line\n")
	at = s.out.waitOutput(t, at, "Back from the editor.")
	s.finish(t, "l\nq\n")
	if lines := strings.Split(readFile(t, got), "\n"); lines[0] != "--wait" || lines[1] != "the editor's line" {
		t.Errorf("the editor got %q", lines)
	}
	if !strings.Contains(s.out.String()[at:], "2.1 Build with a secret") {
		t.Errorf("the l after the editor did not reach the prompt:\n%s", s.out.String()[at:])
	}
}

func TestPlainEditorMissingSaysHowToSetOne(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("notepad is always there")
	}
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", "")
	t.Setenv("PATH", t.TempDir()) // neither nano nor vi
	out := runPlainWith(t, b, b.Course, "e", "q")
	p, _ := b.Progress()
	dir := b.Values(b.Course.Steps()[2], p).Workdir
	for _, want := range []string{
		"Cannot open an editor: no editor found: set $VISUAL or $EDITOR. Name one with export EDITOR=nano",
		"The file to edit is " + dir + "/Dockerfile\n",
		"The step's folder is " + dir + "\n",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}

	t.Setenv("EDITOR", "no-such-editor")
	out = runPlainWith(t, b, b.Course, "e", "q")
	if !strings.Contains(out, `Cannot open an editor: cannot start the editor "no-such-editor"`) {
		t.Errorf("an editor that is not there:\n%s", out)
	}
}

func TestPlainEditOnAStepWithoutAFile(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "pick")
	out := runPlainWith(t, b, b.Course, "e", "q")
	if !strings.Contains(out, "This step has no file to edit. Its folder is "+filepath.Join(b.Work.Root, "fixture", "basics", "pick")+"; type t for a shell there.") {
		t.Errorf("e on a quiz:\n%s", out)
	}
}

func TestPlainShellRunsInTheStepFolderAndComesBack(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	got := filepath.Join(t.TempDir(), "got")
	t.Setenv("DT_GOT", got)
	t.Setenv("SHELL", script(t, `read line
printf '%s\n%s\n' "$(pwd)" "$line" > "$DT_GOT"
echo "shell says bye"
exit 3
`))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := startPlain(t, b, Options{Course: b.Course}, r, w)
	s.finish(t, "t\necho hi\nq\n")
	p, _ := b.Progress()
	dir := b.Values(b.Course.Steps()[2], p).Workdir
	if readFile(t, got) != dir+"\necho hi\n" {
		t.Errorf("the shell got %q", readFile(t, got))
	}
	out := s.out.String()
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"A shell in the step's folder, " + dir + ". Type exit to come back to the tutor.",
		"shell says bye\nBack from the shell, in the tutor.\n",
	} {
		if !strings.Contains(flat, strings.Join(strings.Fields(want), " ")) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, '\x1b') {
		t.Errorf("escape codes around the shell:\n%q", out)
	}
}
