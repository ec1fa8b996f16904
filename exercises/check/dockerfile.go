package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/dockertutor/dockertutor/exercises/dockerfile"
	"github.com/dockertutor/dockertutor/lessons"
)

// analyze reads and analyzes the step's Dockerfile with the build args the
// step's action passes, so ARG-expanded FROM lines read as they build.
func analyze(env Env, file string) (*dockerfile.Analysis, *finding) {
	if file == "" {
		file = "Dockerfile"
		if a := env.Step.Action; a != nil && a.Build != nil && a.Build.Dockerfile != "" {
			file = a.Build.Dockerfile
		}
	}
	path := filepath.Join(env.Values.Workdir, filepath.FromSlash(file))
	opts := dockerfile.Options{Filename: file}
	if a := env.Step.Action; a != nil && a.Build != nil {
		opts.Target = a.Build.Target
		opts.BuildArgs = map[string]string{}
		for k, v := range a.Build.Args {
			x, err := lessons.Expand(v, env.Values)
			if err != nil {
				f := broken(err)
				return nil, &f
			}
			opts.BuildArgs[k] = x
		}
	}
	an, err := dockerfile.AnalyzeFile(path, opts)
	var de *dockerfile.Error
	switch {
	case errors.Is(err, os.ErrNotExist):
		f := failed(fmt.Sprintf("There is no %s in the step folder yet: %s", file, env.Values.Workdir))
		return nil, &f
	case errors.As(err, &de):
		f := failed("The Dockerfile does not parse: "+de.Error(), Evidence{Where: fmt.Sprintf("%s:%d", de.File, de.Line), Detail: de.Message})
		return nil, &f
	case err != nil:
		f := broken(err)
		return nil, &f
	}
	return an, nil
}

func dockerfileParses(_ context.Context, env Env, c *lessons.DockerfileParses) finding {
	an, f := analyze(env, c.File)
	if f != nil {
		return *f
	}
	if e := an.BuildError; e != nil {
		return failed("The Dockerfile parses, but a build would stop at once: "+e.Error(), Evidence{Where: fmt.Sprintf("%s:%d", e.File, e.Line), Detail: e.Message})
	}
	return passed(fmt.Sprintf("The Dockerfile parses: %d stage(s).", len(an.Stages)))
}

// tagKinds maps the course format's tag classes onto the analysis' kinds.
var tagKinds = map[lessons.TagClass]dockerfile.TagKind{
	lessons.TagNone:        dockerfile.TagNone,
	lessons.TagLatest:      dockerfile.TagLatest,
	lessons.TagNamed:       dockerfile.TagMovingName,
	lessons.TagVariantOnly: dockerfile.TagVariantOnly,
	lessons.TagMajor:       dockerfile.TagMajor,
	lessons.TagMajorMinor:  dockerfile.TagMajorMinor,
	lessons.TagFullVersion: dockerfile.TagFullVersion,
	lessons.TagDated:       dockerfile.TagDated,
	lessons.TagDigest:      dockerfile.TagDigest,
}

func dockerfileBase(ctx context.Context, env Env, c *lessons.DockerfileBase) finding {
	an, f := analyze(env, c.File)
	if f != nil {
		return *f
	}
	classes, err := lessons.ExpandTagPolicy(c.Allow)
	if err != nil {
		return broken(err)
	}
	var allowed []dockerfile.TagKind
	for _, cl := range classes {
		allowed = append(allowed, tagKinds[cl])
	}
	stages := stagesToCheck(an, c.Stage)
	var ev []Evidence
	var problems, notes, verified []string
	var codenames []Evidence
	// judge holds one image the build pulls to the policy.
	judge := func(img *dockerfile.Image, where, instruction, detail string) *finding {
		if line := withCodename(img, env.Values.Releases()); line != nil {
			codenames = append(codenames, Evidence{Where: "codename", Detail: fmt.Sprintf("%s names the %s line of %s", img.Tag.Version, line.Version, img.Name)})
		}
		sep := " "
		if strings.HasSuffix(instruction, "=") {
			sep = ""
		}
		if detail == "" {
			detail = instruction + sep + img.Familiar
		}
		ev = append(ev, Evidence{Where: where, Detail: detail + ": " + img.Tag.Kind.Description()})
		if c.Repository != "" && !sameRepository(img, c.Repository) {
			problems = append(problems, fmt.Sprintf("the base image is %s, but this step is about %s", img.Name, c.Repository))
		}
		if len(allowed) > 0 && !slices.Contains(allowed, img.Tag.Kind) {
			problems = append(problems, fmt.Sprintf("%s is %s; this step wants %s", img.Familiar, article(string(img.Tag.Kind)), describeClasses(c.Allow)))
		}
		if len(c.Lines) > 0 && !slices.ContainsFunc(c.Lines, func(l string) bool { return onLine(img.Tag.Numbers, lessons.VersionNumbers(l)) }) {
			if len(img.Tag.Numbers) == 0 {
				problems = append(problems, fmt.Sprintf("%s names no version, so it does not say it stays on the %s line", img.Familiar, strings.Join(c.Lines, " or ")))
			} else {
				problems = append(problems, fmt.Sprintf("%s is on the %s line; this step stays on the %s line", img.Familiar, joinNumbers(img.Tag.Numbers[:min(len(img.Tag.Numbers), len(lessons.VersionNumbers(c.Lines[0])))]), strings.Join(c.Lines, " or ")))
			}
		}
		if len(c.Variants) > 0 && !slices.ContainsFunc(c.Variants, img.Tag.HasVariant) {
			problems = append(problems, fmt.Sprintf("%s is not a %s variant", img.Familiar, strings.Join(c.Variants, " or ")))
		}
		if c.Verify {
			v := verifyBase(ctx, env, img)
			if v.err != nil {
				f := broken(v.err)
				return &f
			}
			problems = append(problems, v.problems...)
			notes = append(notes, v.notes...)
			verified = append(verified, v.passes...)
		}
		return nil
	}
	for _, i := range stages {
		st := an.Stages[i]
		base := an.RootBase(i)
		where := fmt.Sprintf("%s:%d", an.Filename, st.Line)
		switch base.Kind {
		case dockerfile.BaseScratch:
			problems = append(problems, fmt.Sprintf("stage %s builds FROM scratch: there is no base image to pin here", stageName(st)))
			ev = append(ev, Evidence{Where: where, Detail: "FROM scratch"})
			continue
		case dockerfile.BaseInvalid:
			problems = append(problems, fmt.Sprintf("stage %s: %s", stageName(st), base.Problem))
			ev = append(ev, Evidence{Where: where, Detail: "FROM " + base.Written})
			continue
		}
		detail := ""
		if base.Written != base.Expanded && base.Expanded != "" {
			detail = fmt.Sprintf("FROM %s (expands to %s)", base.Written, base.Image.Familiar)
		}
		if f := judge(base.Image, where, "FROM", detail); f != nil {
			return *f
		}
	}
	if c.Stage == lessons.StageAll {
		// COPY --from=IMAGE pulls an image into the build as FROM does.
		for _, i := range stages {
			for _, cp := range an.Stages[i].Copies {
				if cp.Kind == dockerfile.SourceImage && cp.Image != nil {
					if f := judge(cp.Image, fmt.Sprintf("%s:%d", an.Filename, cp.Line), "COPY --from=", ""); f != nil {
						return *f
					}
				}
			}
		}
	}
	ev = append(ev, codenames...)
	for _, f := range verified {
		ev = append(ev, Evidence{Where: "verified", Detail: f})
	}
	for _, n := range notes {
		ev = append(ev, Evidence{Where: "not checked", Detail: n})
	}
	if len(problems) > 0 {
		return failed(capitalize(strings.Join(problems, "; "))+".", ev...)
	}
	if len(notes) > 0 {
		return passed("The base image follows the policy. Not checked: "+strings.Join(notes, "; ")+".", ev...)
	}
	return passed("The base image follows the policy.", ev...)
}

func sameRepository(img *dockerfile.Image, want string) bool {
	w, err := dockerfile.ParseImage(want)
	if err != nil {
		return img.Name == want
	}
	return img.Domain == w.Domain && img.Path == w.Path
}

func describeClasses(names []string) string {
	return strings.Join(names, " or ") + " tags"
}

func article(kind string) string {
	return "a " + strings.ReplaceAll(kind, "-", " ") + " tag"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func stageName(st dockerfile.Stage) string {
	if st.Name != "" {
		return fmt.Sprintf("%d (%s)", st.Index, st.Name)
	}
	return fmt.Sprint(st.Index)
}

func dockerfileStages(_ context.Context, env Env, c *lessons.DockerfileStages) finding {
	an, f := analyze(env, c.File)
	if f != nil {
		return *f
	}
	n := len(an.Stages)
	ev := make([]Evidence, 0, n)
	for _, st := range an.Stages {
		ev = append(ev, Evidence{Where: fmt.Sprintf("%s:%d", an.Filename, st.Line), Detail: "stage " + stageName(st) + " FROM " + st.Base.Written})
	}
	switch {
	case c.Min > 0 && n < c.Min:
		return failed(fmt.Sprintf("The Dockerfile has %d stage(s); this step needs at least %d (each FROM starts a stage).", n, c.Min), ev...)
	case c.Max > 0 && n > c.Max:
		return failed(fmt.Sprintf("The Dockerfile has %d stages; this step wants at most %d.", n, c.Max), ev...)
	}
	return passed(fmt.Sprintf("The Dockerfile has %d stage(s).", n), ev...)
}

func dockerfileCopiesFromStage(_ context.Context, env Env, c *lessons.DockerfileCopiesFromStage) finding {
	an, f := analyze(env, c.File)
	if f != nil {
		return *f
	}
	final := an.FinalStage()
	var ev []Evidence
	for _, cp := range final.Copies {
		ev = append(ev, Evidence{Where: fmt.Sprintf("%s:%d", an.Filename, cp.Line), Detail: fmt.Sprintf("COPY --from=%s %s %s", cp.From, strings.Join(cp.Sources, " "), cp.Dest)})
	}
	if an.CopiesFromEarlierStage(final.Index) {
		return passed("The final stage copies its files from an earlier stage.", ev...)
	}
	if len(an.Stages) < 2 {
		return failed("There is only one stage: add a build stage and COPY --from it into a clean final stage.", ev...)
	}
	return failed("The final stage copies nothing from an earlier stage: add COPY --from=<build stage> for the build's output.", ev...)
}

func dockerfileSecretMount(_ context.Context, env Env, c *lessons.DockerfileSecretMount) finding {
	an, f := analyze(env, c.File)
	if f != nil {
		return *f
	}
	var ev []Evidence
	for _, m := range an.SecretMounts() {
		d := fmt.Sprintf("RUN --mount=type=secret,id=%s", m.ID)
		if m.Env != "" {
			d += ",env=" + m.Env
		}
		if !m.Used {
			d += " (in a stage this build skips)"
		}
		ev = append(ev, Evidence{Where: fmt.Sprintf("%s:%d", an.Filename, m.Line), Detail: d})
	}
	if c.Secret == "" && slices.ContainsFunc(an.SecretMounts(), func(m dockerfile.SecretMount) bool { return m.Used }) {
		return passed("A RUN mounts a secret.", ev...)
	}
	if c.Secret != "" && an.UsesSecretMount(c.Secret) {
		return passed(fmt.Sprintf("A RUN mounts the secret %q.", c.Secret), ev...)
	}
	want := "a secret"
	if c.Secret != "" {
		want = fmt.Sprintf("the secret with id %q", c.Secret)
	}
	// The file form works with every BuildKit; env= needs Dockerfile
	// syntax 1.10, which Docker 20.10's built-in frontend refuses
	// ("unexpected key 'env'").
	id := cmp.Or(c.Secret, "ID")
	return failed(fmt.Sprintf("No RUN that the build runs mounts %s: use RUN --mount=type=secret,id=%s … and read the file /run/secrets/%s in that command (BuildKit; env=VAR instead of the file needs Dockerfile syntax 1.10 or later).", want, id, id)+byHandBuildNote(env), ev...)
}

func dockerfileNoContextFile(_ context.Context, env Env, c *lessons.DockerfileNoContextFile) finding {
	an, f := analyze(env, c.File)
	if f != nil {
		return *f
	}
	name := path.Clean(filepath.ToSlash(c.Path))
	ignored, err := dockerIgnores(env.Values.Workdir, name)
	if err != nil {
		return failed(fmt.Sprintf(".dockerignore does not parse: %v.", err))
	}
	if ignored {
		return passed(fmt.Sprintf(".dockerignore keeps %s out of the build context.", name))
	}
	reads := an.ContextReadsOf(name)
	if len(reads) == 0 {
		return passed(fmt.Sprintf("No stage the build runs takes %s from the build context.", name))
	}
	var ev []Evidence
	for _, r := range reads {
		ev = append(ev, Evidence{Where: fmt.Sprintf("%s:%d", an.Filename, r.Line), Detail: r.Instruction + " " + strings.Join(r.Sources, " ")})
	}
	return failed(fmt.Sprintf("A stage the build runs takes %s from the build context: even in a build stage the file lands in a layer of the build cache (and, with the classic builder, in an image left on the daemon). Mount the secret in the RUN that needs it instead (RUN --mount=type=secret,…), and list %s in .dockerignore so it is never sent to the builder.", name, name), ev...)
}

// dockerIgnores reports whether the step folder's .dockerignore keeps the
// file out of the build context.
func dockerIgnores(workdir, name string) (bool, error) {
	f, err := os.Open(filepath.Join(workdir, ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return false, err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return false, err
	}
	return pm.MatchesOrParentMatches(name)
}

func dockerfileNoSecretArgs(_ context.Context, env Env, c *lessons.DockerfileNoSecretArgs) finding {
	an, f := analyze(env, c.File)
	if f != nil {
		return *f
	}
	stages := stagesToCheck(an, c.Stage)
	var ev []Evidence
	var firstName string // the advice names it
	seen := map[string]bool{}
	declaredBy := map[string]bool{} // "ARG", "ENV"
	for _, i := range stages {
		vars := an.SecretLookingVariables(i)
		for _, st := range an.Stages {
			if st.Index != i {
				continue
			}
			for _, v := range append(append([]dockerfile.Variable{}, st.Args...), st.Env...) {
				if slices.ContainsFunc(c.Names, func(n string) bool { return strings.EqualFold(n, v.Name) }) {
					vars = append(vars, v)
				}
			}
		}
		for _, v := range vars {
			key := fmt.Sprint(v.Line, v.Name)
			if seen[key] {
				continue
			}
			seen[key] = true
			declaredBy[v.Instruction] = true
			if firstName == "" {
				firstName = v.Name
			}
			ev = append(ev, Evidence{Where: fmt.Sprintf("%s:%d", an.Filename, v.Line), Detail: fmt.Sprintf("%s %s", v.Instruction, v.Name)})
		}
	}
	if len(ev) > 0 {
		return failed(withAdvice(secretVariablesMessage(c.Stage == lessons.StageAll, declaredBy["ARG"], declaredBy["ENV"]),
			cmp.Or(secretAdvice(env, firstName, lessons.SecretNeededUnsaid), secretKeepOut)), ev...)
	}
	return passed("No secret-looking ARG or ENV in the image's stage.")
}

// secretVariablesMessage says why a secret-looking ARG or ENV fails even
// when this daemon's image shows no trace of it: the verdict must hold on
// the engine the learner moves to, and BuildKit since Engine 27 (Dockerfile
// frontend 1.8) writes `ARG NAME=<value>` into the history for an ARG that
// no command uses, which older builders leave out.
func secretVariablesMessage(everyStage, args, envs bool) string {
	var why []string
	if args {
		why = append(why, "BuildKit on Docker Engine 27 and later writes an ARG's value into the history (ARG NAME=value) even when no command uses it, so an image that looks clean on an older builder leaks on a current one")
	}
	if envs {
		why = append(why, "an ENV's value is in the image config, for every container and everyone who pulls the image")
	}
	if everyStage {
		return "A secret-looking ARG or ENV is declared in a stage the build runs: " + strings.Join(why, "; ") + "; an earlier stage keeps it in the build cache."
	}
	return "A secret-looking ARG or ENV is declared in a stage that becomes the image: " + strings.Join(why, "; ") + "."
}

// secretKeepOut is the advice where the step does not say when its secret
// is needed.
const secretKeepOut = "Keep it out of that stage: a build secret goes in through a secret mount (or an ARG of an earlier build stage only), a runtime secret comes from the environment the container runs in (docker run -e)."

// stagesToCheck is the stages a check's stage selector names: the one the
// build produces (final, the default), or every stage the build runs (all).
func stagesToCheck(an *dockerfile.Analysis, selector string) []int {
	if selector != lessons.StageAll {
		return []int{an.Target}
	}
	var stages []int
	for _, st := range an.Stages {
		if st.Used {
			stages = append(stages, st.Index)
		}
	}
	return stages
}

// onLine: the version's first numbers are the line's (24.12.0 is on 24).
func onLine(version, line []int) bool {
	return len(line) > 0 && len(version) >= len(line) && slices.Equal(version[:len(line)], line)
}
