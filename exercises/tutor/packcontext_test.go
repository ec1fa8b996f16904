package tutor

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/lessons"
)

// teammateFixture is a course with one answer step whose image is built
// from a pack-context folder with a hidden value in an argument and one in
// a file.
func teammateFixture(t *testing.T) *lessons.Course {
	t.Helper()
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":   {Data: []byte("format: 1\nid: tutortest\ntitle: T\nimages: [{ref: alpine:3.22}]\nlessons: [l]\n")},
		"l/lesson.yaml": {Data: []byte("title: L\nsteps: [find]\n")},
		"l/find/step.md": {Data: []byte(`---
title: Find
kind: answer
image: dttest-tutor/teammate
action:
  build:
    pack-context: teammate
    builder: classic
    args: {TOKEN: '{{.Hidden "token"}}'}
answer:
  expect: values
  values:
    - {id: token, name: the token, value: '{{.Hidden "token"}}', where: history}
    - {id: password, name: the password, value: '{{.Hidden "password"}}', where: a deleted file}
attempts:
  - {name: nothing, fails: [token, password]}
---
Find them in {{.Image}}.
`)},
		"l/find/teammate/Dockerfile":      {Data: []byte("FROM alpine:3.22\nARG TOKEN\nCOPY pw /pw\nRUN rm /pw\n")},
		"l/find/teammate/pw.tmpl":         {Data: []byte(`PASSWORD={{.Hidden "password"}}` + "\n")},
		"l/find/teammate/notes/readme.md": {Data: []byte("not a template: {{.Secret}}\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c
}

// A pack-context build sends the pack's folder, templates filled, as the
// build context; the learner's step folder never holds it, the temporary
// copy is gone after the build, and neither the command nor the output
// shows a hidden value.
func TestPackContextBuild(t *testing.T) {
	c := teammateFixture(t)
	st, _ := c.Step("find")
	d := fakedaemon.New()
	s := openOn(t, c, d)
	p, _ := s.Progress()
	v := s.Values(st, p)
	token, _ := v.Hidden("token")
	password, _ := v.Hidden("password")
	// The daemon's output echoes both, as a careless Dockerfile might.
	d.OnBuild(func(context.Context, client.ImageBuildOptions) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(`{"stream":"Step 2/4 : RUN echo ` + token + ` ` + password + `\n"}` + "\n" +
			`{"aux":{"ID":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}}` + "\n" +
			`{"stream":"Successfully built 111111111111\n"}` + "\n")), nil
	})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	events := make(chan Event, 100)
	if err := s.Run(context.Background(), st, events); err != nil {
		t.Fatal(err)
	}
	close(events)
	var shown strings.Builder
	for ev := range events {
		shown.WriteString(ev.Text + "\n")
	}
	for _, h := range []string{token, password} {
		if strings.Contains(shown.String(), h) {
			t.Errorf("the action shows the hidden value %s:\n%s", h, shown.String())
		}
	}
	if cmd := s.ActionCommand(st); !strings.Contains(cmd, `--build-arg TOKEN="$TOKEN"`) || !strings.HasSuffix(cmd, " teammate") {
		t.Errorf("command %q: want the argument by name and the pack folder as context", cmd)
	}

	ctxFiles := d.BuildContext()
	if ctxFiles["Dockerfile"] == "" || ctxFiles["pw"] != "PASSWORD="+password+"\n" || ctxFiles["notes/readme.md"] != "not a template: {{.Secret}}\n" {
		t.Errorf("build context = %q", ctxFiles)
	}
	if _, ok := ctxFiles["pw.tmpl"]; ok {
		t.Error("the template's name kept its suffix")
	}
	builds := d.Builds()
	if len(builds) != 1 || builds[0].BuildArgs["TOKEN"] == nil || *builds[0].BuildArgs["TOKEN"] != token {
		t.Errorf("build args = %+v", builds)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("the temporary build folder is left behind: %v", left)
	}
	if files, _ := os.ReadDir(s.Work.StepDir(st)); len(files) > 0 {
		t.Errorf("the step folder holds %v", files)
	}
}
