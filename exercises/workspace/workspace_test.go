package workspace

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
)

func pack(t *testing.T) *lessons.Course {
	t.Helper()
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":                            {Data: []byte("format: 1\nid: demo\ntitle: Demo\nlessons: [one]\n")},
		"one/lesson.yaml":                        {Data: []byte("title: One\nsteps: [fix]\n")},
		"one/fix/step.md":                        {Data: []byte("---\ntitle: Fix\nkind: exercise\nmain: Dockerfile\nchecks:\n  - {id: p, type: dockerfile.parses}\nattempts:\n  - {name: broken, fails: [p]}\n---\nFix it.\n")},
		"one/fix/starter/Dockerfile":             {Data: []byte("FROM alpine\n")},
		"one/fix/starter/token.txt.tmpl":         {Data: []byte("{{.Secret}}\n")},
		"one/fix/solution/Dockerfile":            {Data: []byte("FROM alpine:3.22\n")},
		"one/fix/attempts/broken/Dockerfile":     {Data: []byte("FRM alpine\n")},
		"one/fix/attempts/broken/sub/extra.conf": {Data: []byte("x\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c
}

func TestLayOutNeverOverwrites(t *testing.T) {
	c := pack(t)
	w := New(t.TempDir(), c)
	s := c.Steps()[0]
	v := c.Values(s, lessons.Learner{Secret: "canary-test", Workspace: w.Root})
	written, err := w.LayOut(s, v)
	if err != nil || len(written) != 2 {
		t.Fatalf("written %v, %v", written, err)
	}
	tok, _ := os.ReadFile(filepath.Join(w.StepDir(s), "token.txt"))
	if string(tok) != "canary-test\n" {
		t.Fatalf("template not filled: %q", tok)
	}
	main := w.MainFile(s)
	os.WriteFile(main, []byte("FROM mine\n"), 0o644)
	written, err = w.LayOut(s, v)
	if err != nil || len(written) != 0 {
		t.Fatalf("second layout wrote %v, %v", written, err)
	}
	if got, _ := os.ReadFile(main); string(got) != "FROM mine\n" {
		t.Fatal("the learner's edit was overwritten")
	}
}

func TestApplyBacksUpAndResetRestores(t *testing.T) {
	c := pack(t)
	w := New(t.TempDir(), c)
	tick := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w.Now = func() time.Time { tick = tick.Add(time.Second); return tick }
	s := c.Steps()[0]
	v := c.Values(s, lessons.Learner{Secret: "canary-test", Workspace: w.Root})
	w.LayOut(s, v)
	os.WriteFile(w.MainFile(s), []byte("FROM mine\n"), 0o644)

	plan, err := w.Apply(s, s.Attempts[0].Files, v, true)
	if err != nil || len(plan) != 2 {
		t.Fatalf("dry run: %v %v", plan, err)
	}
	if got, _ := os.ReadFile(w.MainFile(s)); string(got) != "FROM mine\n" {
		t.Fatal("dry run wrote")
	}
	changes, err := w.Apply(s, s.Attempts[0].Files, v, false)
	if err != nil {
		t.Fatal(err)
	}
	if changes[0].Path != "Dockerfile" || changes[0].Action != "replace" {
		t.Fatalf("changes %+v", changes)
	}
	if old, _ := os.ReadFile(changes[0].Backup); string(old) != "FROM mine\n" {
		t.Fatalf("backup holds %q", old)
	}
	if _, err := os.Stat(filepath.Join(w.StepDir(s), "sub", "extra.conf")); err != nil {
		t.Fatal("nested attempt file not written")
	}

	plan, _ = w.Reset(s, v, true)
	if len(plan) != 5 { // 3 removed, 2 written
		t.Fatalf("reset plan %+v", plan)
	}
	changes, err = w.Reset(s, v, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(w.MainFile(s)); string(got) != "FROM alpine\n" {
		t.Fatalf("reset left %q", got)
	}
	if _, err := os.Stat(filepath.Join(w.StepDir(s), "sub")); !os.IsNotExist(err) {
		t.Fatal("reset left an attempt file")
	}
	for _, ch := range changes {
		if ch.Action == "remove" {
			if _, err := os.Stat(ch.Backup); err != nil {
				t.Fatalf("removed %s without a backup: %v", ch.Path, err)
			}
		}
	}
}

func TestDefaultRootHonoursEnv(t *testing.T) {
	t.Setenv(EnvVar, "relative/ws")
	got, err := DefaultRoot()
	if err != nil || !filepath.IsAbs(got) || filepath.Base(got) != "ws" {
		t.Fatalf("%q %v", got, err)
	}
}
