// Package handover hands the learner's terminal to a program they work
// in, an editor or a shell, and takes it back when it ends. Both the full
// screen and the plain mode use it: which program to start, and how to
// start it so that the keys that signal reach it alone.
package handover

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/charmbracelet/x/term"
)

// Editor prepares the learner's editor on file, in dir: $VISUAL, else
// $EDITOR (which may carry arguments), else the first of the usual ones
// found on the PATH.
func Editor(getenv func(string) string, file, dir string) (*exec.Cmd, error) {
	editor := cmp.Or(getenv("VISUAL"), getenv("EDITOR"))
	if editor == "" {
		for _, e := range fallbackEditors() {
			if _, err := exec.LookPath(e); err == nil {
				editor = e
				break
			}
		}
	}
	if editor == "" {
		return nil, errors.New("no editor found: set $VISUAL or $EDITOR")
	}
	args := strings.Fields(editor)
	path, err := exec.LookPath(args[0])
	if err != nil {
		return nil, fmt.Errorf("cannot start the editor %q: %w", args[0], err)
	}
	c := exec.Command(path, append(args[1:], file)...)
	c.Dir = dir
	return c, nil
}

// Shell prepares the learner's shell in dir: $SHELL (on Windows,
// %COMSPEC%), else the system's.
func Shell(getenv func(string) string, dir string) (*exec.Cmd, error) {
	sh := cmp.Or(getenv("SHELL"), "/bin/sh")
	if runtime.GOOS == "windows" {
		sh = cmp.Or(getenv("COMSPEC"), "cmd.exe")
	}
	path, err := exec.LookPath(sh)
	if err != nil {
		return nil, fmt.Errorf("cannot start a shell: %w", err)
	}
	c := exec.Command(path)
	c.Dir = dir
	return c, nil
}

func fallbackEditors() []string {
	if runtime.GOOS == "windows" {
		return []string{"notepad"}
	}
	return []string{"nano", "vi"}
}

// IsTerminal reports whether a reader or writer is a terminal.
func IsTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(file.Fd())
}
