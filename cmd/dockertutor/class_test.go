package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/room"
	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/lessons"
)

// classServe is the real binary serving a class on loopback.
type classServe struct {
	cmd     *exec.Cmd
	joinURL string
	// dashboard is the instructor's link, token and all.
	dashboard string
	out       *syncBuffer
}

// syncBuffer is the server's output, written by one goroutine and read
// by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) WriteString(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(line)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startClassServe runs `dockertutor class serve` (the test binary as
// main, which testscript put on PATH) and waits for its join command.
func startClassServe(t *testing.T, env []string, db string) *classServe {
	t.Helper()
	return startClassServeAt(t, env, db, "127.0.0.1:0")
}

// startClassServeAt is startClassServe on a given address: a restarted
// server must be where its learners joined it.
func startClassServeAt(t *testing.T, env []string, db, addr string) *classServe {
	t.Helper()
	cmd := exec.Command("dockertutor", "class", "serve", "--addr", addr, "--db", db)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s := &classServe{cmd: cmd, out: &syncBuffer{}}
	lines := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for lines.Scan() {
		line := lines.Text()
		s.out.WriteString(line + "\n")
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "dockertutor class join "); ok {
			s.joinURL = strings.Fields(rest)[0]
		}
		if strings.Contains(line, "/?token=") {
			s.dashboard = strings.TrimSpace(line)
		}
		if strings.HasPrefix(line, "Press Ctrl+C") {
			break
		}
	}
	if s.joinURL == "" {
		t.Fatalf("class serve printed no join command:\n%s\n%s", s.out, stderr.String())
	}
	go func() { // the rest, for the test to read after the process ends
		for lines.Scan() {
			s.out.WriteString(lines.Text() + "\n")
		}
	}()
	return s
}

func (s *classServe) base() string { base, _, _ := strings.Cut(s.joinURL, "/join/"); return base }
func (s *classServe) code() string { _, code, _ := strings.Cut(s.joinURL, "/join/"); return code }

func postJSON(t *testing.T, url, token string, v any) (int, []byte) {
	t.Helper()
	data, _ := json.Marshal(v)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(data))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// TestClassServeLosesNothingWhenKilled: learners' acked events are in the
// database after kill -9 of the server, which reopens the same class
// (code, tokens, events) and carries on; Ctrl+C then stops it cleanly.
func TestClassServeLosesNothingWhenKilled(t *testing.T) {
	if _, err := exec.LookPath("dockertutor"); err != nil {
		t.Skip("the dockertutor command is not on PATH (run through go test)")
	}
	dir := t.TempDir()
	env := []string{"XDG_STATE_HOME=" + filepath.Join(dir, "state"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"), "NO_COLOR=1"}
	db := filepath.Join(dir, "class.db")
	course, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	steps := course.Steps()

	s := startClassServe(t, env, db)
	code := s.code()
	type learner struct {
		id, token string
		acked     int64
	}
	learners := []*learner{{id: "ann-a1b2c3"}, {id: "bob-d4e5f6"}, {id: "cat-0a0b0c"}}
	for _, l := range learners {
		status, body := postJSON(t, s.base()+"/api/v1/join", "", wire.JoinRequest{Code: code, Name: l.id[:3], Learner: l.id, Course: course.ID})
		var a wire.JoinAnswer
		if status != 200 || json.Unmarshal(body, &a) != nil {
			t.Fatalf("join %s: %d %s", l.id, status, body)
		}
		l.token = a.Token
	}
	// Each learner opens and passes a few steps, one batch per step.
	post := func(s *classServe, l *learner, n int) {
		t.Helper()
		for range n {
			st := steps[int(l.acked)/2%len(steps)]
			now := time.Now().UTC()
			b := wire.EventBatch{Format: wire.EventsFormat, Events: []wire.Event{
				{Seq: l.acked + 1, Kind: wire.StepOpened, Step: st.ID, At: now},
				{Seq: l.acked + 2, Kind: wire.Verdict, Step: st.ID, Passed: true, At: now},
			}}
			status, body := postJSON(t, s.base()+"/api/v1/events", l.token, b)
			var ack wire.Ack
			if status != 200 || json.Unmarshal(body, &ack) != nil || ack.Acked != l.acked+2 {
				t.Fatalf("%s's events: %d %s", l.id, status, body)
			}
			l.acked = ack.Acked
		}
	}
	for i, l := range learners {
		post(s, l, 3+i)
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()

	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]int64{}
	st.Events(context.Background(), func(id string, e wire.Event) error {
		if e.Seq != held[id]+1 {
			t.Errorf("%s: seq %d after %d", id, e.Seq, held[id])
		}
		held[id] = e.Seq
		return nil
	})
	st.Close()
	for _, l := range learners {
		if held[l.id] != l.acked {
			t.Errorf("%s: %d events held after kill -9, %d acked", l.id, held[l.id], l.acked)
		}
	}

	s2 := startClassServe(t, env, db)
	if s2.code() != code {
		t.Errorf("the class code after a restart: %s, was %s", s2.code(), code)
	}
	if !strings.Contains(s2.out.String(), "?token=") {
		t.Errorf("the restarted server does not show the instructor's link:\n%s", s2.out)
	}
	for _, l := range learners {
		post(s2, l, 1) // the same tokens carry on from the acked seq
	}
	var f instructorFile
	data, err := os.ReadFile(filepath.Join(dir, "state", "dockertutor", "class-instructor.json"))
	if err != nil || json.Unmarshal(data, &f) != nil || f.Token == "" {
		t.Fatalf("the instructor file: %v %s", err, data)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "state", "dockertutor", "class-instructor.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("the instructor file is %v, want 0600", fi.Mode().Perm())
	}
	req, _ := http.NewRequest("GET", s2.base()+"/api/v1/room", nil)
	req.Header.Set("Authorization", "Bearer "+f.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var r room.Room
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if len(r.Learners) != 3 {
		t.Fatalf("the room after a restart: %+v", r)
	}
	for i, l := range r.Learners { // in name order: ann, bob, cat
		if want := 3 + i + 1; l.Passed != want || l.Step == "" {
			t.Errorf("%s after a restart: passed %d, step %q", l.ID, l.Passed, l.Step)
		}
	}

	if err := s2.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s2.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Ctrl+C: %v, want a clean exit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop within 10 s of Ctrl+C")
	}
	time.Sleep(50 * time.Millisecond)
	if !strings.Contains(s2.out.String(), "Class server stopped") {
		t.Errorf("after Ctrl+C:\n%s", s2.out)
	}
}

func TestWriteRoom(t *testing.T) {
	r := room.Room{Format: room.Format, Total: 4,
		Class: room.Class{Title: "Tuesday", Code: "K7PQ2XMA", StuckAfterSeconds: 600, HoldTitle: "Basics", Message: "Break until 10:30"},
		Learners: []room.LearnerView{
			{ID: "ann", Name: "Ann", Online: true, Step: "build", StepNumber: "1.2", StepTitle: "Build it", OnStepSeconds: 725,
				Verdict: "failed", Failing: []string{"it runs as a user"}, Passed: 1, Total: 4, Stuck: true},
			{ID: "bob", Name: "Bob", Passed: 0, Total: 4},
		}}
	var b strings.Builder
	writeRoom(&b, r, true)
	out := b.String()
	for _, want := range []string{
		"Tuesday: 2 learners, 1 stuck (after 10 min), code K7PQ2XMA",
		"Held after lesson: Basics", "Message: Break until 10:30",
		"1.2 Build it", "1/4", "12 min", "not passed yet: it runs as a user  [STUCK]",
		"not started", "[offline]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	writeRoom(&b, r, false)
	if !strings.Contains(b.String(), "✗ it runs as a user") {
		t.Errorf("with glyphs:\n%s", b.String())
	}
}
