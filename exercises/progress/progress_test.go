package progress

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
)

func TestFirstLoadMakesSecret(t *testing.T) {
	s, err := Open(t.TempDir(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Secret, "canary-") || len(p.Secret) != len("canary-")+12 {
		t.Fatalf("secret %q", p.Secret)
	}
	again, _ := s.Load("demo")
	if again.Secret != p.Secret {
		t.Fatal("the secret must stay the same across loads")
	}
	other, _ := NewSecret()
	if other == p.Secret {
		t.Fatal("two secrets collided")
	}
}

func TestRecordFollowsTheLatestVerdict(t *testing.T) {
	var p Progress
	now := time.Now()
	p.Begin("a", now)
	p.Record("a", false, now)
	if p.StatusOf("a") != Failed || !p.Step("a").PassedAt.IsZero() {
		t.Fatalf("want failed, never passed: %+v", p.Step("a"))
	}
	p.Record("a", true, now)
	p.Record("a", false, now.Add(time.Minute))
	if p.StatusOf("a") != Failed || !p.Step("a").PassedAt.Equal(now) || p.Step("a").Checks != 3 {
		t.Fatalf("a later failure must show, the first pass stay known: %+v", p.Step("a"))
	}
	p.Record("a", true, now.Add(2*time.Minute))
	if p.StatusOf("a") != Passed || !p.Step("a").PassedAt.Equal(now) {
		t.Fatalf("passed again, first passed at %v: %+v", now, p.Step("a"))
	}
}

func TestCorruptFileIsSetAside(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, "demo")
	if err := os.WriteFile(s.Path(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("demo")
	if err != nil {
		t.Fatalf("an unparsable file is set aside, not an error: %v", err)
	}
	aside := s.SetAside()
	if len(aside) != 1 || aside[0].Path != s.Path() {
		t.Fatalf("want the file set aside once, got %v", aside)
	}
	kept, rerr := os.ReadFile(aside[0].SetAside)
	if rerr != nil || string(kept) != "{not json" {
		t.Fatalf("the unreadable file must be kept as it was: %v %q", rerr, kept)
	}
	if p.Secret == "" {
		t.Fatal("a fresh progress comes with the warning")
	}
	if _, err := s.Load("demo"); err != nil || len(s.SetAside()) != 1 {
		t.Fatalf("the fresh file must load cleanly: %v, set aside %v", err, s.SetAside())
	}
	// An update finds a file broken since, sets it aside and still saves.
	os.WriteFile(s.Path(), []byte("\x00"), 0o600)
	if _, err := s.Update("demo", func(p *Progress) error { p.Current = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Load("demo"); again.Current != "x" || len(s.SetAside()) != 2 {
		t.Fatalf("after Update: current %q, set aside %v", again.Current, s.SetAside())
	}
	// Both unreadable files are kept, even when set aside in one second.
	for i, want := range []string{"{not json", "\x00"} {
		if kept, err := os.ReadFile(s.SetAside()[i].SetAside); err != nil || string(kept) != want {
			t.Fatalf("set-aside file %d: %v %q", i, err, kept)
		}
	}
}

func TestOtherCourseFileIsNotUsed(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, "demo")
	os.WriteFile(s.Path(), []byte(`{"version":1,"course":"other","secret":"canary-abcdefghijkl","steps":{}}`), 0o600)
	p, err := s.Load("demo")
	if err != nil || p.Secret == "canary-abcdefghijkl" || p.Course != "demo" {
		t.Fatalf("a file of another course must not be taken: %v %+v", err, p)
	}
	if aside := s.SetAside(); len(aside) != 1 || !strings.Contains(aside[0].Error(), `belongs to course "other"`) {
		t.Fatalf("it must be set aside with the reason: %v", aside)
	}
}

// TestConcurrentUpdatesLoseNothing runs writers in this process and in
// child processes at once; every increment must survive.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	dir := t.TempDir()
	const perWriter = 40
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := Open(dir, "demo")
			for i := 0; i < perWriter; i++ {
				if _, err := s.Update("demo", func(p *Progress) error { p.Step("x").HintsUsed++; return nil }); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	var cmds []*exec.Cmd
	for w := 0; w < 2; w++ {
		cmd := exec.Command(os.Args[0], "-test.run=TestHelperWriter")
		cmd.Env = append(os.Environ(), "PROGRESS_HELPER_DIR="+dir, "PROGRESS_HELPER_N="+strconv.Itoa(perWriter))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	wg.Wait()
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := Open(dir, "demo")
	p, err := s.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Step("x").HintsUsed, 6*perWriter; got != want {
		t.Fatalf("lost writes: %d of %d", got, want)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".progress-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

func TestHelperWriter(t *testing.T) {
	dir := os.Getenv("PROGRESS_HELPER_DIR")
	if dir == "" {
		t.Skip("only run as a child of TestConcurrentUpdatesLoseNothing")
	}
	n, _ := strconv.Atoi(os.Getenv("PROGRESS_HELPER_N"))
	s, _ := Open(dir, "demo")
	for i := 0; i < n; i++ {
		if _, err := s.Update("demo", func(p *Progress) error { p.Step("x").HintsUsed++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBuiltImagesAreRememberedBoundedAndForgotten(t *testing.T) {
	var p Progress
	p.RecordBuilt("s", nil)
	if p.Built != nil {
		t.Fatal("nothing to record made a map")
	}
	p.RecordBuilt("s", []string{"aaa", "bbb"})
	p.RecordBuilt("s", []string{"bbb", "ccc"})
	if got := p.Built["s"]; !slices.Equal(got, []string{"aaa", "bbb", "ccc"}) {
		t.Fatalf("built = %v, want each image once, in order", got)
	}
	for i := range maxBuilt + 10 {
		p.RecordBuilt("t", []string{fmt.Sprintf("%012d", i)})
	}
	if got := p.Built["t"]; len(got) != maxBuilt || got[0] != fmt.Sprintf("%012d", 10) {
		t.Fatalf("%d remembered, first %s: want the newest %d", len(got), got[0], maxBuilt)
	}
	p.ForgetBuilt("s", []string{"aaa", "ccc"})
	if got := p.Built["s"]; !slices.Equal(got, []string{"bbb"}) {
		t.Fatalf("after forgetting: %v", got)
	}
	p.ForgetBuilt("s", []string{"bbb"})
	if _, ok := p.Built["s"]; ok {
		t.Fatal("a step with nothing left stays in the map")
	}
	// It survives a save and a load, and a step's reset does not touch it.
	st, err := Open(t.TempDir(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update("c", func(q *Progress) error { q.RecordBuilt("s", []string{"ddd"}); q.Step("s"); return nil }); err != nil {
		t.Fatal(err)
	}
	q, err := st.Update("c", func(q *Progress) error { delete(q.Steps, "s"); return nil })
	if err != nil || !slices.Equal(q.Built["s"], []string{"ddd"}) {
		t.Fatalf("after a reset of the step: %v %v", q.Built, err)
	}
}

// TestLoadWritesOnlyANewFile: reading progress (every start, every check)
// must not rewrite the file; the first read creates it with the canary.
func TestLoadWritesOnlyANewFile(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, "c")
	if err != nil {
		t.Fatal(err)
	}
	first, err := st.Load("c")
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(st.Path())
	if err != nil {
		t.Fatalf("the first Load did not create the file: %v", err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(st.Path(), old, old); err != nil {
		t.Fatal(err)
	}
	again, err := st.Load("c")
	if err != nil || again.Secret != first.Secret {
		t.Fatalf("second Load: %v, secret %q then %q", err, first.Secret, again.Secret)
	}
	after, _ := os.ReadFile(st.Path())
	fi, _ := os.Stat(st.Path())
	if string(after) != string(before) || !fi.ModTime().Equal(old) {
		t.Fatal("Load rewrote an existing progress file")
	}
}

// TestUnreadableFileIsNotOverwritten: a progress file that cannot be read
// (as opposed to one that cannot be parsed) is an error, and no update
// replaces it with a blank one.
func TestUnreadableFileIsNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, "c")
	if err != nil {
		t.Fatal(err)
	}
	// A folder where the file should be: reading it fails with EISDIR.
	if err := os.Mkdir(st.Path(), 0o700); err != nil {
		t.Fatal(err)
	}
	called := false
	if _, err := st.Update("c", func(p *Progress) error { called = true; return nil }); err == nil || called {
		t.Fatalf("Update on an unreadable file: err %v, update applied %v", err, called)
	}
	if _, err := st.Load("c"); err == nil {
		t.Fatal("Load on an unreadable file gave no error")
	}
	if fi, err := os.Stat(st.Path()); err != nil || !fi.IsDir() {
		t.Fatal("the unreadable file was replaced")
	}
}

func TestLearnerIDIsMadeOnceAndKept(t *testing.T) {
	s, err := Open(t.TempDir(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lessons.NamedNamespace(p.Learner); err != nil || len(p.Learner) < len("x-123456") {
		t.Fatalf("learner id %q is not a namespace name: %v", p.Learner, err)
	}
	again, _ := s.Load("demo")
	if again.Learner != p.Learner {
		t.Fatalf("the learner id changed from %q to %q between loads", p.Learner, again.Learner)
	}
}

func TestProgressWithoutLearnerIDGainsOne(t *testing.T) {
	s, _ := Open(t.TempDir(), "demo")
	old := `{"version":1,"course":"demo","secret":"canary-abcdefghjkmn","current":"a","steps":{"a":{"status":"passed"}}}`
	if err := os.WriteFile(s.Path(), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	if p.Learner == "" || p.Secret != "canary-abcdefghjkmn" || p.StatusOf("a") != Passed || p.Current != "a" {
		t.Fatalf("the old progress must be kept and gain an id: %+v", p)
	}
	if len(s.SetAside()) != 0 {
		t.Fatalf("an old file is not corrupt: %v", s.SetAside())
	}
	data, _ := os.ReadFile(s.Path())
	if !strings.Contains(string(data), `"learner": "`+p.Learner+`"`) {
		t.Fatalf("the id must be saved at once, so it stays the same:\n%s", data)
	}
	again, _ := s.Load("demo")
	if again.Learner != p.Learner {
		t.Fatalf("id %q, then %q", p.Learner, again.Learner)
	}
}

func TestBadLearnerIDSetsTheFileAside(t *testing.T) {
	s, _ := Open(t.TempDir(), "demo")
	bad := `{"version":1,"course":"demo","secret":"canary-abcdefghjkmn","learner":"Not/Valid","steps":{}}`
	if err := os.WriteFile(s.Path(), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	if aside := s.SetAside(); len(aside) != 1 || !strings.Contains(aside[0].Error(), "learner id") {
		t.Fatalf("want the file set aside for its learner id: %v", aside)
	}
	if _, err := lessons.NamedNamespace(p.Learner); err != nil {
		t.Fatalf("the fresh progress has a bad id %q: %v", p.Learner, err)
	}
}

func TestLearnerName(t *testing.T) {
	for login, want := range map[string]string{
		"alice":                       "alice",
		"Bob.Smith":                   "bob-smith",
		`CORP\Jane_Doe`:               "jane-doe",
		"__":                          "learner",
		"":                            "learner",
		"élodie":                      "lodie",
		"averyveryverylongloginname1": "averyveryverylon",
		"a--b":                        "a-b",
	} {
		got := learnerName(login)
		if got != want {
			t.Errorf("learnerName(%q) = %q, want %q", login, got, want)
		}
		if _, err := lessons.NamedNamespace(got + "-0a1b2c"); err != nil {
			t.Errorf("learnerName(%q) = %q: %v", login, got, err)
		}
	}
}
