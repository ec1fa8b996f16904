package runner

import (
	"regexp"
	"strings"
)

// Command returns the docker command a learner could type in a POSIX shell
// for the same run. A secret variable appears as "-e NAME", which takes its
// value from the learner's environment, never as its value. The tutor's
// labels are left out: they are bookkeeping, not part of the lesson.
func Command(opts Options) string { return command(opts, "docker") }

// PodmanCommand is the same run with Podman's CLI, whose run takes the
// same flags.
func PodmanCommand(opts Options) string { return command(opts, "podman") }

func command(opts Options, cli string) string {
	args := []string{cli, "run", "--name", shellQuote(opts.name())}
	if opts.Remove {
		args = append(args, "--rm")
	}
	for _, e := range opts.Env {
		if e.Secret {
			args = append(args, "-e", shellQuote(e.Name))
			continue
		}
		args = append(args, "-e", shellQuote(e.Name+"="+e.Value))
	}
	args = append(args, shellQuote(opts.Image))
	for _, c := range opts.Cmd {
		args = append(args, shellQuote(c))
	}
	return strings.Join(args, " ")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
