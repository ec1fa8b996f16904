package outbox

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
)

// appenderEnv makes this test binary an appender process: it appends
// that many events to the outbox of the state folder in
// appenderDirEnv, then exits.
const (
	appenderEnv    = "OUTBOX_TEST_APPENDER"
	appenderDirEnv = "OUTBOX_TEST_STATE"
)

func TestAppenderProcess(t *testing.T) {
	if os.Getenv(appenderEnv) == "" {
		t.Skip("run by TestTwoProcessesAppendOnce")
	}
	var n int
	fmt.Sscan(os.Getenv(appenderEnv), &n)
	b := Open(os.Getenv(appenderDirEnv))
	for i := range n {
		if err := b.Append(opened(fmt.Sprintf("p%d-%d", os.Getpid(), i))); err != nil {
			t.Fatal(err)
		}
	}
}

// Two processes appending at once (a tutor and a `check` in another
// terminal) share the seqs through the file lock: none twice, no gap.
func TestTwoProcessesAppendOnce(t *testing.T) {
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAppenderProcess$")
		cmd.Env = append(os.Environ(), appenderEnv+"=100", appenderDirEnv+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if got := seqsOf(t, Open(dir)); !slices.Equal(got, upTo(200)) {
		t.Fatalf("seqs %v, want 1..200 once each", got)
	}
}
