package tutor

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// TestASecretFromAnotherBuildsCacheIsNotAPass: BuildKit leaves secret
// values out of its cache keys. Learner A copies their mounted secret into
// the image; learner B, on the same daemon, makes the same mistake with
// the same Dockerfile. B's build must not take A's cached layer (A's
// secret, not B's), or B's no-leak check finds nothing of B's and passes
// a wrong answer.
func TestASecretFromAnotherBuildsCacheIsNotAPass(t *testing.T) {
	cli := dockertest.Client(t)
	c := dockertest.BuiltinCourse(t, cli)
	st, ok := c.Step("secret-mount")
	if !ok {
		t.Fatal("the built-in course has no step secret-mount")
	}
	copiedOut, err := os.ReadFile("../../lessons/course/build-secrets/secret-mount/attempts/copied-out/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, who := range []string{"A", "B"} {
		s := openLearner(t, c)
		if _, _, err := s.Enter(st); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.Work.StepDir(st), "Dockerfile"), copiedOut, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(ctx, st, nil); err != nil {
			t.Fatalf("learner %s's build: %v", who, err)
		}
		v, err := s.Check(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range v.Results {
			if r.ID == "no-leak" && r.Outcome != check.Fail {
				t.Fatalf("learner %s copied the mounted secret into the image, yet no-leak is %s: %s", who, r.Outcome, r.Message)
			}
		}
	}
}
