package builder

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Command returns the docker command a learner could type in a POSIX shell
// for the same build. Secret build-arg values and secrets appear as
// references to environment variables, never as values. The tutor's own
// labels are left out: they are bookkeeping, not part of the lesson.
func Command(opts Options) string { return command(opts, false) }

// PodmanCommand is the same build typed for Podman's own CLI, for a
// learner whose engine is Podman: its Docker API has no BuildKit, so no
// docker build --secret builds there, and podman build does, with each
// secret as PodmanSecret gives it.
func PodmanCommand(opts Options) string { return command(opts, true) }

// PodmanSecret is Podman's --secret flag for a secret that the learner's
// shell holds in the environment variable env. It hands Podman a file
// (bash's and zsh's process substitution), not env=: Podman's remote
// client (Podman Desktop, podman machine, podman --remote) sends an env=
// secret to the build empty, with no error (seen with Podman 4.3 here;
// podman issues 27494 and 28012), and a build that gets an empty secret
// would pass the lesson without ever holding the secret.
func PodmanSecret(id, env string) string {
	return "--secret id=" + id + `,src=<(printf %s "$` + env + `")`
}

func command(opts Options, podman bool) string {
	var args []string
	switch {
	case podman:
		args = append(args, "podman", "build")
	case opts.Builder == Classic:
		args = append(args, "DOCKER_BUILDKIT=0", "docker", "build")
	case len(opts.Secrets) > 0:
		// --secret needs BuildKit; buildx says so in the command itself
		// instead of relying on the CLI's default builder.
		args = append(args, "docker", "buildx", "build")
	default:
		args = append(args, "docker", "build")
	}
	for _, t := range opts.Tags {
		args = append(args, "-t", shellQuote(t))
	}
	if opts.Dockerfile != "" && opts.Dockerfile != "Dockerfile" {
		args = append(args, "-f", shellQuote(filepath.Join(opts.Dir, opts.Dockerfile)))
	}
	for _, a := range opts.BuildArgs {
		if a.Secret {
			env := a.Env
			if env == "" {
				env = a.Name
			}
			args = append(args, "--build-arg", shellQuote(a.Name+"=")+`"$`+env+`"`)
			continue
		}
		args = append(args, "--build-arg", shellQuote(a.Name+"="+a.Value))
	}
	for _, s := range opts.Secrets {
		switch {
		case s.Value == nil && s.Env == "" && s.File != "":
			args = append(args, "--secret", shellQuote("id="+s.ID+",src="+s.File))
		case podman:
			args = append(args, PodmanSecret(shellQuote(s.ID), s.envName()))
		default:
			args = append(args, "--secret", shellQuote("id="+s.ID+",env="+s.envName()))
		}
	}
	if opts.Target != "" {
		args = append(args, "--target", shellQuote(opts.Target))
	}
	if opts.NoCache {
		args = append(args, "--no-cache")
	}
	keys := make([]string, 0, len(opts.Labels))
	for k := range opts.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--label", shellQuote(k+"="+opts.Labels[k]))
	}
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	args = append(args, shellQuote(dir))
	return strings.Join(args, " ")
}

// envName is the environment variable a command reads the secret from.
func (s Secret) envName() string {
	if s.Env != "" {
		return s.Env
	}
	return SecretEnv(s.ID)
}

// SecretEnv is the one name of the variable a command the tutor shows
// reads the secret id from: the id in capitals ending in _TOKEN (repo:
// REPO_TOKEN, as the course's text exports it), so the step's text, the
// action's command and a check's advice all name the same variable.
func SecretEnv(id string) string {
	name := strings.ToUpper(nonEnvChars.ReplaceAllString(id, "_"))
	if !strings.HasSuffix(name, "_TOKEN") {
		name += "_TOKEN"
	}
	return name
}

var (
	nonEnvChars = regexp.MustCompile(`[^A-Za-z0-9_]`)
	shellSafe   = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)
)

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
