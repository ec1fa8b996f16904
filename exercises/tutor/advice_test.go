package tutor

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/engine"
)

// TestUnreachableDockerGetsDoctorsAdvice: with DOCKER_HOST pointing
// nowhere, the session's status (which the full screen and the plain mode
// show) gives the advice doctor gives, unsetting DOCKER_HOST included.
func TestUnreachableDockerGetsDoctorsAdvice(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "nothing.sock"))
	t.Setenv("DOCKER_CONTEXT", "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	s, err := Open(Options{Course: fixture(t), WorkspaceRoot: t.TempDir(), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := s.DockerStatus(context.Background())
	if st.Reachable {
		t.Fatalf("a socket that does not exist answers: %+v", st)
	}
	doctor := engine.Doctor(context.Background(), nil)
	if doctor.Reachable || len(doctor.Problems) == 0 {
		t.Fatalf("doctor: %+v", doctor)
	}
	if want := doctor.Problems[0]; st.Problem != want.Message || st.Fix != want.FixText(runtime.GOOS) {
		t.Fatalf("the session says %q / %q; doctor says %q / %q", st.Problem, st.Fix, want.Message, want.FixText(runtime.GOOS))
	}
	if !strings.Contains(st.Fix, "unset DOCKER_HOST") {
		t.Fatalf("advice %q does not offer to unset DOCKER_HOST", st.Fix)
	}
}
