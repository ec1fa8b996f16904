package outbox

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// A learner who types their canary as an answer, asks for hints and the
// solution, and passes, reports all of it: the canary is in none of the
// class files and in no body posted.
func TestTheCanaryNeverLeaves(t *testing.T) {
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":   {Data: []byte("format: 1\nid: docker-security\ntitle: T\nlessons: [l]\n")},
		"l/lesson.yaml": {Data: []byte("title: L\nsteps: [found, pick]\n")},
		"l/found/step.md": {Data: []byte("---\ntitle: Found\nkind: answer\nanswer: {expect: secret}\n" +
			"hints: [\"It starts with {{.Secret}}.\"]\n---\nWhat?\n")},
		"l/pick/step.md": {Data: []byte("---\ntitle: Pick\nkind: quiz\nquiz:\n  choices:\n    - {id: a, text: A, correct: true}\n    - {id: b, text: B}\n---\nWhich?\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	f := newFakeClass(t)
	state := t.TempDir()
	b := Open(state)
	s, err := tutor.Open(tutor.Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: state, Observe: b.Observe,
		Connect: func(context.Context) (daemon.Client, error) { return nil, errors.New("no daemon in this test") }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, _ := s.Progress()
	link, _ := ParseJoinURL(f.srv.URL + "/join/abc123")
	if _, _, err := b.Join(context.Background(), f.srv.Client(), link, Joiner{Name: "Ha " + strings.ToUpper(p.Secret), Learner: p.Learner, Course: c.ID, Secret: p.Secret}); !errors.Is(err, ErrSecretName) {
		t.Fatalf("a name with the canary: %v", err)
	}
	if _, _, err := b.Join(context.Background(), f.srv.Client(), link, Joiner{Name: "Ha", Learner: p.Learner, Course: c.ID, Secret: p.Secret}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	found, _ := c.Step("found")
	pick, _ := c.Step("pick")
	s.Enter(found)
	if _, err := s.NextHint(found); err != nil {
		t.Fatal(err)
	}
	for _, answer := range []string{"almost " + p.Secret, p.Secret} {
		if _, err := s.Answer(ctx, found, answer); err != nil {
			t.Fatal(err)
		}
	}
	s.Enter(pick)
	if err := s.Solve(ctx, pick, nil); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx, pick); err != nil || !v.Passed {
		t.Fatal(v, err)
	}
	if n, err := b.NewSender(nil, testTiming()).DeliverNow(ctx); err != nil || n != 0 {
		t.Fatalf("waiting %d %v", n, err)
	}
	if got := f.heldSeqs("token-" + p.Learner); len(got) != 9 {
		t.Fatalf("the server holds %v, want 9 events (open, hint, 2×(answer, verdict), open, solution, verdict)", got)
	}
	for _, body := range f.bodies {
		if strings.Contains(string(body), p.Secret) {
			t.Errorf("a posted body carries the canary: %s", body)
		}
	}
	entries, err := os.ReadDir(b.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(b.path(e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), p.Secret) {
			t.Errorf("%s carries the canary:\n%s", e.Name(), data)
		}
		if fi, _ := e.Info(); fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v: the class folder is the learner's alone", e.Name(), fi.Mode())
		}
	}
}
