package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LocalBuilder is what the learner's own `docker build` runs.
type LocalBuilder string

const (
	// LocalBuildKit: the docker CLI hands `docker build` to the buildx
	// plugin, which builds with BuildKit (`--secret` works).
	LocalBuildKit LocalBuilder = "buildkit"
	// LocalLegacy: the docker CLI builds with the legacy builder (no
	// buildx plugin, or DOCKER_BUILDKIT=0): `docker build --secret` is an
	// unknown flag and RUN --mount is refused.
	LocalLegacy LocalBuilder = "legacy"
	// LocalBroken: `docker build` refuses to start (DOCKER_BUILDKIT=1 or a
	// builder alias without a working plugin, DOCKER_BUILDKIT not a boolean).
	LocalBroken LocalBuilder = "broken"
	// LocalNoCLI: there is no docker CLI on the PATH.
	LocalNoCLI LocalBuilder = "none"
	// LocalPodman: the daemon is Podman's, which has no BuildKit, so no
	// docker build can build a secret mount on it (the buildx plugin's
	// session is refused, the legacy builder has no --secret); `podman
	// build --secret` can, with Buildah.
	LocalPodman LocalBuilder = "podman"
)

// DockerBuild says what `docker build`, typed by the learner in their own
// terminal, does on this machine. The tutor's own builds (r) go through
// the Engine API and use BuildKit whatever this says.
type DockerBuild struct {
	Builder LocalBuilder `json:"builder"`
	// CLI is the docker CLI found on the PATH.
	CLI string `json:"cli,omitempty"`
	// Plugin is the builder plugin the CLI would run (docker-buildx, or
	// the one a builder alias names), when one was found.
	Plugin string `json:"plugin,omitempty"`
	// PluginVersion is the version the plugin reports.
	PluginVersion string `json:"pluginVersion,omitempty"`
	// Basis says how this was decided, in a learner's words.
	Basis string `json:"basis"`
	// byEnv: DOCKER_BUILDKIT decided it, so unsetting it is the first fix.
	byEnv bool
}

// daemonBuildFacts is what the docker CLI asks the daemon before choosing a
// builder: only a Windows daemon that does not advertise BuildKit keeps it
// on the legacy builder.
type daemonBuildFacts struct {
	OS                 string
	AdvertisesBuildKit bool
}

// pluginMetadataTimeout bounds the one call to the plugin (its metadata),
// which the docker CLI itself makes before every forwarded build.
const pluginMetadataTimeout = 5 * time.Second

// DetectDockerBuild decides what the learner's `docker build` runs, with
// the docker CLI's own rules (docker/cli cmd/docker/builder.go,
// processBuilder, and cli-plugins/manager): DOCKER_BUILDKIT, a builder
// alias in config.json, then the buildx plugin in the CLI's plugin
// directories, validated by running its metadata command as the CLI does.
func DetectDockerBuild(ctx context.Context) DockerBuild {
	return detectDockerBuild(ctx, OSEnviron(), daemonBuildFacts{})
}

func detectDockerBuild(ctx context.Context, env Environ, daemon daemonBuildFacts) DockerBuild {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	cli := lookPath(env, "docker")
	if cli == "" {
		return DockerBuild{Builder: LocalNoCLI, Basis: "there is no docker CLI on the PATH, so only the tutor's own builds (r) can build"}
	}
	b := DockerBuild{CLI: cli}

	var buildKitDisabled, useBuilder bool
	if v := env.Getenv("DOCKER_BUILDKIT"); v != "" {
		on, err := strconv.ParseBool(v)
		switch {
		case err != nil:
			b.Builder, b.Basis, b.byEnv = LocalBroken, fmt.Sprintf("DOCKER_BUILDKIT=%s is not true or false, so docker build refuses to start", v), true
			return b
		case on:
			useBuilder = true
		default:
			buildKitDisabled = true
		}
	}
	cfg := readCLIConfig(filepath.Join(configDir(env), "config.json"))
	plugin := "buildx"
	if alias := cfg.Aliases["builder"]; alias != "" {
		useBuilder, plugin = true, alias
	}

	if !useBuilder && daemon.OS == "windows" && !daemon.AdvertisesBuildKit {
		b.Builder, b.Basis = LocalLegacy, "the daemon is a Windows engine that does not advertise BuildKit, so the docker CLI uses the legacy builder"
		return b
	}
	if buildKitDisabled {
		b.Builder, b.Basis, b.byEnv = LocalLegacy, "DOCKER_BUILDKIT=0 makes the docker CLI use the legacy builder", true
		return b
	}

	path, err := findPlugin(env, cfg, plugin)
	if err == nil {
		b.Plugin = path
		b.PluginVersion, err = pluginVersion(ctx, path)
	}
	if err != nil {
		switch {
		case useBuilder && env.Getenv("DOCKER_BUILDKIT") != "":
			b.Builder, b.Basis, b.byEnv = LocalBroken, fmt.Sprintf("DOCKER_BUILDKIT=%s asks for BuildKit, but %s, so docker build refuses to start", env.Getenv("DOCKER_BUILDKIT"), err), true
		case useBuilder:
			b.Builder, b.Basis = LocalBroken, fmt.Sprintf("config.json names %q as the builder, but %s, so docker build refuses to start", plugin, err)
		default:
			b.Builder, b.Basis = LocalLegacy, fmt.Sprintf("%s, so the docker CLI falls back to the legacy builder", err)
		}
		return b
	}
	b.Builder = LocalBuildKit
	b.Basis = fmt.Sprintf("the docker CLI hands docker build to the %s plugin %s", plugin, b.PluginVersion)
	return b
}

// cliConfig is the part of the docker CLI's config.json that decides
// where plugins are and which one builds.
type cliConfig struct {
	CLIPluginsExtraDirs []string          `json:"cliPluginsExtraDirs"`
	Aliases             map[string]string `json:"aliases"`
}

// readCLIConfig reads config.json; like the CLI, a missing or broken file
// counts as empty (doctor warns about a broken one with the endpoint).
func readCLIConfig(file string) cliConfig {
	var cfg cliConfig
	if data, err := os.ReadFile(file); err == nil {
		_ = json.Unmarshal(data, &cfg)
	}
	return cfg
}

// pluginDirs are the directories the docker CLI searches for plugins, in
// its order (cli-plugins/manager getPluginDirs): cliPluginsExtraDirs, the
// config directory's cli-plugins, then the system's.
func pluginDirs(env Environ, cfg cliConfig) []string {
	dirs := append([]string{}, cfg.CLIPluginsExtraDirs...)
	dirs = append(dirs, filepath.Join(configDir(env), "cli-plugins"))
	if env.GOOS == Windows {
		return append(dirs, filepath.Join(env.Getenv("ProgramFiles"), "Docker", "cli-plugins"))
	}
	return append(dirs, unixSystemPluginDirs...)
}

// unixSystemPluginDirs are the CLI's system plugin folders on Linux and
// macOS (cli-plugins/manager/manager_unix.go); a variable so that tests
// can stand in for the machine's.
var unixSystemPluginDirs = []string{
	"/usr/local/lib/docker/cli-plugins",
	"/usr/local/libexec/docker/cli-plugins",
	"/usr/lib/docker/cli-plugins",
	"/usr/libexec/docker/cli-plugins",
}

// findPlugin returns the first docker-NAME in the plugin directories, as
// the CLI picks it (a broken symbolic link is skipped, a directory too).
func findPlugin(env Environ, cfg cliConfig, name string) (string, error) {
	exe := "docker-" + name
	if env.GOOS == Windows {
		exe += ".exe"
	}
	dirs := pluginDirs(env, cfg)
	for _, d := range dirs {
		p := filepath.Join(d, exe)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("the docker CLI finds no %s plugin (it looks in %s)", name, strings.Join(dirs, ", "))
}

// pluginVersion runs the plugin's metadata command, as the CLI does to
// decide whether a plugin works, and returns the version it reports.
func pluginVersion(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, pluginMetadataTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "docker-cli-plugin-metadata").Output()
	if err != nil {
		return "", fmt.Errorf("the plugin %s does not run (%v)", path, err)
	}
	var meta struct {
		SchemaVersion string
		Vendor        string
		Version       string
	}
	if err := json.Unmarshal(out, &meta); err != nil {
		return "", fmt.Errorf("the plugin %s gives no valid metadata (%v)", path, err)
	}
	major, _, _ := strings.Cut(meta.SchemaVersion, ".")
	if n, err := strconv.Atoi(major); err != nil || n >= 2 || meta.Vendor == "" {
		return "", fmt.Errorf("the plugin %s gives metadata the docker CLI rejects (schema %q, vendor %q)", path, meta.SchemaVersion, meta.Vendor)
	}
	return meta.Version, nil
}

// lookPath finds an executable in env's PATH, so tests can give their own.
func lookPath(env Environ, name string) string {
	names := []string{name}
	if env.GOOS == Windows {
		names = []string{name + ".exe", name + ".cmd", name + ".bat"}
	}
	for _, dir := range filepath.SplitList(env.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		for _, n := range names {
			p := filepath.Join(dir, n)
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
			if env.GOOS != Windows && st.Mode().Perm()&0o111 == 0 {
				continue
			}
			return p
		}
	}
	return ""
}

// dockerBuildProblems is doctor's warning about the learner's own `docker
// build`, with the fix: none when it builds with BuildKit. apiBuildKit
// says whether the tutor's own builds have BuildKit (false on an engine
// without it, such as Podman's), so the warning promises only that.
func dockerBuildProblems(b DockerBuild, apiBuildKit bool) []Problem {
	byHand := func(what string) string {
		if apiBuildKit {
			return " The tutor's own builds (r) use BuildKit through the API regardless; " + what
		}
		return " " + strings.ToUpper(what[:1]) + what[1:]
	}
	switch b.Builder {
	case LocalLegacy:
		return []Problem{{Class: ClassLegacyBuilder, Severity: SeverityWarning,
			Message: "Your docker build is the legacy builder: docker build --secret fails with \"unknown flag\" and RUN --mount is refused." + byHand("to build secret mounts by hand, install the buildx plugin."),
			Fixes:   installBuildxFixes(b)}}
	case LocalBroken:
		return []Problem{{Class: ClassLegacyBuilder, Severity: SeverityWarning,
			Message: "Your docker build refuses to start." + byHand("to build by hand, fix the setting or install the buildx plugin."),
			Fixes:   installBuildxFixes(b)}}
	case LocalNoCLI:
		return []Problem{{Class: ClassNoDockerCLI, Severity: SeverityWarning,
			Message: "There is no docker CLI on the PATH: the tutor runs every step's build and run itself (r), but the commands in the steps' texts need the docker CLI.",
			Fixes: perOS(func(goos string) []Fix {
				switch goos {
				case Linux:
					return []Fix{{Text: "Install the docker CLI with its buildx plugin from Docker's apt repository", Command: "sudo apt-get install docker-ce-cli docker-buildx-plugin"}}
				default:
					return []Fix{{Text: "Install Docker Desktop, which includes the docker CLI and the buildx plugin"}}
				}
			})}}
	}
	return nil
}

// installBuildxFixes are the ways to give the docker CLI the buildx
// plugin, most likely first; DOCKER_BUILDKIT comes first when it is set.
func installBuildxFixes(b DockerBuild) map[string][]Fix {
	return perOS(func(goos string) []Fix {
		var fixes []Fix
		if b.byEnv {
			unset := "unset DOCKER_BUILDKIT"
			if goos == Windows {
				unset = "Remove-Item Env:DOCKER_BUILDKIT"
			}
			fixes = append(fixes, Fix{Text: "Let the docker CLI choose BuildKit itself", Command: unset})
		}
		switch goos {
		case Linux:
			fixes = append(fixes,
				Fix{Text: "Install the buildx plugin from Docker's apt or dnf repository", Command: "sudo apt-get install docker-buildx-plugin"},
				Fix{Text: "Or build it with Go and put it where the docker CLI looks for plugins",
					Command: "go install github.com/docker/buildx/cmd/buildx@v0.38.2 && mkdir -p ~/.docker/cli-plugins && cp \"$(go env GOPATH)/bin/buildx\" ~/.docker/cli-plugins/docker-buildx"},
				Fix{Text: "Check that docker build now uses BuildKit", Command: "docker buildx version"})
		case Darwin:
			fixes = append(fixes,
				Fix{Text: "Docker Desktop includes the buildx plugin; with Homebrew's docker CLI install it, and add Homebrew's plugin folder to cliPluginsExtraDirs in ~/.docker/config.json", Command: "brew install docker-buildx"},
				Fix{Text: "Check that docker build now uses BuildKit", Command: "docker buildx version"})
		case Windows:
			fixes = append(fixes,
				Fix{Text: "Docker Desktop includes the buildx plugin: update or reinstall Docker Desktop"},
				Fix{Text: "Check that docker build now uses BuildKit", Command: "docker buildx version"})
		}
		return fixes
	})
}

// Describe names the builder, and what it means for --secret, for doctor's
// text.
func (b DockerBuild) Describe() string {
	switch b.Builder {
	case LocalBuildKit:
		return "BuildKit (the buildx plugin): docker build --secret works"
	case LocalLegacy:
		return "the legacy builder: docker build --secret is an unknown flag"
	case LocalBroken:
		return "none: docker build refuses to start"
	case LocalNoCLI:
		return "no docker CLI"
	case LocalPodman:
		return "the engine is Podman's: docker build --secret cannot build there, podman build --secret can"
	}
	return "unknown"
}
