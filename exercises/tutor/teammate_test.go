package tutor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

var shellBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// TestTeammateImageAsTheTextSays builds the teammate's image of the
// build-secrets lesson (with each builder) and finds both hidden values
// the way the step's text tells a learner to: its shell blocks, pasted
// as rendered into a shell, with the real docker CLI and tar. On the way
// it holds the tutor to what the step promises: the teammate's files are
// not in the step folder, the image carries the tutor's labels, and
// neither the command shown nor the build's output shows a hidden value.
func TestTeammateImageAsTheTextSays(t *testing.T) {
	cli := dockertest.Client(t)
	c := dockertest.BuiltinCourse(t, cli)
	if _, err := exec.LookPath("docker"); err != nil {
		if os.Getenv(dockertest.RequireEnv) == "1" {
			t.Fatalf("the docker CLI is required (%s=1): %v", dockertest.RequireEnv, err)
		}
		t.Skip("no docker CLI: the step's commands cannot be run")
	}
	st, ok := c.Step("teammate-image")
	if !ok {
		t.Fatal("no step teammate-image in the built-in course")
	}
	for _, b := range []lessons.Builder{lessons.BuilderBuildKit, lessons.BuilderClassic} {
		t.Run(string(b), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(),
				Namespace: dockertest.Namespace(t), Builder: b, NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			t.Cleanup(func() { s.CleanDocker(context.Background(), []*lessons.Step{st}, false) })

			events := make(chan Event, 1000)
			if err := s.Run(ctx, st, events); err != nil {
				t.Fatal(err)
			}
			close(events)
			p, _ := s.Progress()
			v := s.Values(st, p)
			var hidden []string
			for _, part := range st.Answer.Values {
				x, err := lessons.Expand(part.Value, v)
				if err != nil {
					t.Fatal(err)
				}
				hidden = append(hidden, x)
			}
			shown := s.ActionCommand(st) + "\n"
			for ev := range events {
				shown += ev.Text + "\n"
			}
			for _, h := range hidden {
				if strings.Contains(shown, h) {
					t.Errorf("the action's command or output shows the hidden value %s:\n%s", h, shown)
				}
			}
			if !strings.Contains(shown, "NPM_TOKEN") {
				t.Errorf("the command does not name the build argument:\n%s", shown)
			}
			entries, err := os.ReadDir(s.Work.StepDir(st))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			for _, e := range entries {
				t.Errorf("the step folder holds %s: the teammate's files must stay out of it", e.Name())
			}
			img, err := cli.ImageInspect(ctx, v.Image)
			if err != nil {
				t.Fatal(err)
			}
			if l := img.Config.Labels; !labels.OwnedBy(l, s.Namespace(), c.ID, st.ID) {
				t.Errorf("the teammate's image lacks the tutor's labels: %v", l)
			}

			text, err := st.Render(v)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hidden {
				if strings.Contains(text, h) {
					t.Errorf("the step text shows the hidden value %s", h)
				}
			}
			var script []string
			for _, m := range shellBlock.FindAllStringSubmatch(text, -1) {
				script = append(script, m[1])
			}
			if len(script) < 3 {
				t.Fatalf("want the text's three shell blocks (history, save, extract), found %d", len(script))
			}
			sh := exec.CommandContext(ctx, "sh", "-c", strings.Join(script, "\n"))
			sh.Dir = t.TempDir()
			sh.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
			out, err := sh.CombinedOutput()
			if err != nil {
				t.Errorf("the commands, as a learner pastes them, end with %v", err)
			}
			if testing.Verbose() {
				t.Logf("the commands printed:\n%s", out)
			}
			for i, h := range hidden {
				if !strings.Contains(string(out), h) {
					t.Errorf("the step's commands do not find %s (%s); they printed:\n%s", st.Answer.Values[i].ID, h, out)
				}
			}
			// Typing what the commands found passes the step.
			verdict, err := s.Answer(ctx, st, strings.Join(hidden, " "))
			if err != nil || !verdict.Passed {
				t.Errorf("answering with the values found: %+v, %v", verdict, err)
			}
			if _, err := os.Stat(filepath.Join(s.Work.StepDir(st), "Dockerfile")); err == nil {
				t.Error("the teammate's Dockerfile is in the step folder")
			}
		})
	}
}
