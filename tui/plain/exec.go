package plain

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/charmbracelet/x/term"

	"github.com/dockertutor/dockertutor/tui/backend"
	"github.com/dockertutor/dockertutor/tui/internal/handover"
)

// The plain mode's e and t hand the terminal to an editor or a shell and
// wait for it, as a learner at a screen reader expects: a line before, a
// line after, and nothing of the tutor's in between.

// edit opens the step's main file in the learner's editor.
func (u *plainUI) edit() {
	info := backend.Describe(u.b, u.steps[u.cur], u.prog)
	file, dir := info.MainFile(), info.Values.Workdir
	if file == "" {
		u.printf("This step has no file to edit. Its folder is %s; type t for a shell there.\n", dir)
		return
	}
	editor, err := handover.Editor(u.getenv, file, dir)
	if err != nil {
		u.wrapped(noEditorAdvice(err), "", "")
		u.printf("The file to edit is %s\n", file)
		u.printf("The step's folder is %s\n", dir)
		return
	}
	name := filepath.Base(editor.Path)
	u.printf("Opening %s in %s. Close the editor to come back here.\n", file, name)
	err = u.handOver(editor)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		u.sayf("Back from the editor, which ended with %v.", exit)
	case err != nil:
		u.sayf("The editor could not run: %v", err)
		u.printf("The file to edit is %s\n", file)
	case u.watch.step != nil:
		u.printf("Back from the editor. Watching checks the step if the file changed.\n")
	default:
		u.printf("Back from the editor. Type c to check the step.\n")
	}
}

// shell opens the learner's shell in the step's folder.
func (u *plainUI) shell() {
	dir := u.b.Values(u.steps[u.cur], u.prog).Workdir
	shell, err := handover.Shell(u.getenv, dir)
	if err != nil {
		u.sayf("%v", err)
		u.printf("The step's folder is %s\n", dir)
		return
	}
	// The full screen's banner clears the screen; here it is one line.
	u.printf("A shell in the step's folder, %s. Type exit to come back to the tutor.\n", dir)
	err = u.handOver(shell)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) { // a shell's status is its last command's
		u.sayf("The shell could not run: %v", err)
		return
	}
	u.printf("Back from the shell, in the tutor.\n")
}

// noEditorAdvice says how to name an editor, for the learner's system.
func noEditorAdvice(err error) string {
	how := "export EDITOR=nano (in your shell's profile, to keep it)"
	if runtime.GOOS == "windows" {
		how = "set EDITOR=notepad"
	}
	return fmt.Sprintf("Cannot open an editor: %v. Name one with %s, then start the tutor again.", err, how)
}

// handOver runs a child on the learner's terminal until it exits. It gets
// the plain mode's own files when they are files (a terminal, or a pipe
// the tutor was started with); otherwise (tests, a reader that is not a
// file) its stdin is fed from the plain mode's input until it exits, and
// its output goes to the plain mode's writer. It writes its errors where
// the tutor writes: that is where the learner reads.
func (u *plainUI) handOver(c *exec.Cmd) error {
	if f, ok := u.out.(*os.File); ok {
		c.Stdout, c.Stderr = f, f
	} else {
		c.Stdout, c.Stderr = u.out, u.out
	}
	var childIn, forward *os.File // the pipe that feeds the child, when there is one
	if f, ok := u.in.(*os.File); ok {
		c.Stdin = f // the input reads nothing between two lines: the child has it all
		if handover.IsTerminal(f) {
			// An editor that dies in raw mode leaves the terminal as it was.
			if st, err := term.GetState(f.Fd()); err == nil {
				defer term.Restore(f.Fd(), st)
			}
		}
	} else {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		c.Stdin, childIn, forward = r, r, w
	}
	wait, err := handover.StartInForeground(c)
	if childIn != nil {
		childIn.Close() // the child has its own copy; a write fails once it exits
	}
	if err != nil {
		if forward != nil {
			forward.Close()
		}
		return err
	}
	stop := make(chan struct{})
	if forward != nil {
		u.input.forwardTo(u.ctx, forward, stop)
	}
	err = wait()
	close(stop)
	return err
}
