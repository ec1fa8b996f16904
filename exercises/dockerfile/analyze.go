package dockerfile

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options are the build inputs that change how a Dockerfile reads.
type Options struct {
	// Filename names the file in messages; "Dockerfile" when empty.
	Filename string
	// BuildArgs are the --build-arg values of the build.
	BuildArgs map[string]string
	// Target is the --target stage; the last stage when empty.
	Target string
	// Platform is the target platform for $TARGETPLATFORM, $BUILDARCH and
	// friends, such as "linux/arm64"; "linux/" plus this machine's
	// architecture when empty (Docker Desktop runs a Linux VM of the
	// host's architecture).
	Platform string
}

// AnalyzeFile reads and analyzes a Dockerfile. Messages name the file by its
// base name unless opts.Filename says otherwise.
func AnalyzeFile(file string, opts Options) (*Analysis, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	if opts.Filename == "" {
		opts.Filename = filepath.Base(file)
	}
	return Analyze(src, opts)
}

// Analyze parses a Dockerfile with BuildKit's parser and reports what it
// builds on, what it copies, which secrets it mounts and which values end up
// in the image history. A Dockerfile BuildKit cannot parse gives an *Error
// that names the line. Analyze never talks to Docker.
func Analyze(src []byte, opts Options) (*Analysis, error) {
	if opts.Filename == "" {
		opts.Filename = "Dockerfile"
	}
	platform, err := targetPlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Analysis, error) { return nil, newError(opts.Filename, err) }
	if looksUTF16(src) {
		return fail(errUTF16)
	}
	src = sanitizeText(src)

	parsed, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return fail(err)
	}
	// A linter without a Warn function reports nothing (the lint pass below
	// collects the warnings), but it must not be nil: a `# check=` comment
	// above an instruction dereferences it.
	stages, metaArgs, err := instructions.Parse(parsed.AST, linter.New(&linter.Config{}))
	if err != nil {
		return fail(err)
	}
	if len(stages) == 0 {
		return fail(errors.New("dockerfile contains no stages to build"))
	}

	a := &Analysis{
		Filename:    opts.Filename,
		EscapeToken: string(parsed.EscapeToken),
		BuildArgs:   maps.Clone(opts.BuildArgs),
		Target:      len(stages) - 1,
	}
	if opts.Target != "" {
		a.Target = -1
		for i, st := range stages {
			if st.Name == strings.ToLower(opts.Target) {
				a.Target = i
			}
		}
		if a.Target < 0 {
			return fail(fmt.Errorf("target stage %q could not be found", opts.Target))
		}
	}
	a.Directives = directives(src)

	r := &reader{
		lex:       shell.NewLex(parsed.EscapeToken),
		buildArgs: opts.BuildArgs,
		stages:    stages,
		byName:    map[string]int{},
	}
	for i, st := range stages {
		if st.Name != "" {
			r.byName[st.Name] = i // a later stage of the same name wins, as in BuildKit
		}
	}
	targetName := stages[a.Target].Name
	r.global = automaticArgs(platform, opts.BuildArgs, targetName)
	a.GlobalArgs = r.readGlobalArgs(metaArgs)
	a.Stages = r.readStages()
	markUsed(a)

	warnings, buildErr := lint(src, opts, platform)
	a.Warnings = stableSuggestions(warnings, r.undeclaredInFrom, r.declaredGlobals)
	if buildErr != nil {
		a.BuildError = r.buildError(opts.Filename, buildErr)
	}
	return a, nil
}

// reader walks the stages the way BuildKit's dispatcher does, tracking the
// ARG and ENV values in scope so that expansions come out as in a build.
type reader struct {
	lex       *shell.Lex
	buildArgs map[string]string
	stages    []instructions.Stage
	// byName maps every stage name to its index (for COPY --from, which
	// may name any stage).
	byName map[string]int
	// global holds the automatic platform ARGs and the ARGs before the
	// first FROM.
	global *envList
	// badBaseRefs and badCopyRefs are the names BuildKit will fail to parse
	// as image references, in the order it resolves them.
	badBaseRefs, badCopyRefs []badRef
	// undeclaredInFrom lists, per FROM line, the variables its name or
	// --platform uses that no global ARG sets.
	undeclaredInFrom map[int][]string
	// declaredGlobals are the names a FROM line may use: the automatic
	// ARGs and every ARG before the first FROM, set or not.
	declaredGlobals []string
}

func (r *reader) noteUndeclared(line int, names map[string]struct{}) {
	for name := range names {
		if r.undeclaredInFrom == nil {
			r.undeclaredInFrom = map[int][]string{}
		}
		r.undeclaredInFrom[line] = append(r.undeclaredInFrom[line], name)
	}
}

type badRef struct {
	line int
	name string
	err  error
}

// buildError makes BuildKit's conversion error deterministic. BuildKit
// resolves all base images at once and reports whichever unparsable
// reference fails first, so a file with two gets either error from run to
// run; the tutor reports the first one in file order, in BuildKit's words.
// Every other conversion error happens in a fixed order already.
func (r *reader) buildError(file string, err error) *Error {
	bad := append(append([]badRef(nil), r.badBaseRefs...), r.badCopyRefs...)
	if len(bad) == 0 || !strings.Contains(err.Error(), "failed to parse stage name") {
		return newError(file, err)
	}
	return &Error{File: file, Line: bad[0].line, err: err,
		Message: fmt.Sprintf("failed to parse stage name %q: %v", bad[0].name, bad[0].err)}
}

// stageScope is what a stage hands to a stage built FROM it.
type stageScope struct {
	env  *envList
	args []Variable
}

// nonEnvArgs are ARGs BuildKit keeps out of the build environment
// (dockerfile2llb's nonEnvArgs).
var nonEnvArgs = map[string]bool{
	"BUILDKIT_SBOM_SCAN_CONTEXT": true,
	"BUILDKIT_SBOM_SCAN_STAGE":   true,
}

func (r *reader) readGlobalArgs(metaArgs []instructions.ArgCommand) []Variable {
	var out []Variable
	r.declaredGlobals = r.global.Keys()
	for _, cmd := range metaArgs {
		for _, kv := range cmd.Args {
			r.declaredGlobals = append(r.declaredGlobals, kv.Key)
			v := newArg(kv, firstLine(cmd.Location()), -1)
			if bv, ok := r.buildArgs[kv.Key]; ok {
				v.Value, v.Set, v.FromBuildArg = bv, true, true
			} else if kv.Value != nil {
				// BuildKit fails the build on an expansion error; the lint
				// pass reports it, so the value just stays unset here.
				if val, _, err := r.lex.ProcessWord(*kv.Value, r.global); err == nil {
					v.Value, v.Set = val, true
				}
			}
			if v.Set {
				r.global.set(v.Name, v.Value)
			}
			out = append(out, v)
		}
	}
	return out
}

func (r *reader) readStages() []Stage {
	out := make([]Stage, len(r.stages))
	scopes := make([]stageScope, len(r.stages))
	// FROM sees only the stages declared above it.
	earlier := map[string]int{}
	for i, st := range r.stages {
		s := Stage{
			Index:    i,
			Name:     st.Name,
			Line:     firstLine(st.Location),
			Base:     r.readBase(st.BaseName, firstLine(st.Location), earlier),
			Platform: st.Platform,
		}
		if st.Platform != "" {
			match, err := r.lex.ProcessWordWithMatches(st.Platform, r.global)
			r.noteUndeclared(s.Line, match.Unmatched)
			if err == nil {
				s.PlatformExpanded = match.Result
			}
		}
		scope := stageScope{env: newEnvList()}
		if s.Base.Kind == BaseStage {
			parent := scopes[s.Base.Stage.Index]
			scope = stageScope{env: parent.env.clone(), args: append([]Variable(nil), parent.args...)}
		}
		for _, cmd := range st.Commands {
			line := firstLine(cmd.Location())
			switch c := cmd.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					v := r.readStageArg(kv, line, i, scope.env)
					s.Args = append(s.Args, v)
					scope.args = append(scope.args, v)
				}
			case *instructions.EnvCommand:
				s.Env = append(s.Env, r.readEnv(c, line, i, scope.env)...)
			case *instructions.CopyCommand:
				if c.From != "" {
					s.Copies = append(s.Copies, r.readCopy(c, line))
				} else {
					s.ContextReads = append(s.ContextReads, ContextRead{Line: line, Instruction: "COPY", Sources: c.SourcePaths})
				}
			case *instructions.AddCommand:
				s.ContextReads = append(s.ContextReads, ContextRead{Line: line, Instruction: "ADD", Sources: c.SourcePaths})
			case *instructions.RunCommand:
				run := r.readRun(c, line, scope)
				s.Runs = append(s.Runs, run)
				for _, m := range run.Mounts {
					if m.Type == "bind" && m.From == "" {
						s.ContextReads = append(s.ContextReads, ContextRead{Line: line, Instruction: "RUN --mount=type=bind", Sources: []string{cmp.Or(m.Source, ".")}})
					}
				}
			}
		}
		scopes[i] = scope
		out[i] = s
		if st.Name != "" {
			earlier[st.Name] = i
		}
	}
	return out
}

// readBase resolves a FROM name as BuildKit does: expand it with the global
// ARGs, then an earlier stage's name wins over an image; `scratch` is the
// empty image.
func (r *reader) readBase(written string, line int, earlier map[string]int) Base {
	b := Base{Written: written}
	match, err := r.lex.ProcessWordWithMatches(written, r.global)
	r.noteUndeclared(line, match.Unmatched)
	expanded := match.Result
	if err != nil {
		b.Kind, b.Problem = BaseInvalid, fmt.Sprintf("cannot expand %q: %v", written, err)
		return b
	}
	b.Expanded = expanded
	if expanded == "" {
		b.Kind = BaseInvalid
		b.Problem = fmt.Sprintf("%q expands to an empty name: give the ARG a default before the first FROM or pass it with --build-arg", written)
		return b
	}
	if j, ok := earlier[expanded]; ok {
		b.Kind, b.Stage = BaseStage, &StageRef{Index: j, Name: r.stages[j].Name}
		return b
	}
	if expanded == "scratch" {
		b.Kind = BaseScratch
		return b
	}
	img, err := ParseImage(expanded)
	if err != nil {
		b.Kind, b.Problem = BaseInvalid, err.Error()
		r.badBaseRefs = append(r.badBaseRefs, badRef{line, expanded, errors.Unwrap(err)})
		return b
	}
	b.Kind, b.Image = BaseImage, img
	return b
}

func newArg(kv instructions.KeyValuePairOptional, line, stage int) Variable {
	v := Variable{
		Instruction:      "ARG",
		Name:             kv.Key,
		Line:             line,
		Stage:            stage,
		LooksSecret:      LooksSecret(kv.Key),
		LooksSecretGlued: LooksSecretGlued(kv.Key),
	}
	if kv.Value != nil {
		v.Default, v.HasDefault = *kv.Value, true
	}
	return v
}

// readStageArg follows dispatchArg: a passed build argument wins, then the
// default expanded against the stage's environment, then (for an ARG without
// default) the global ARG of the same name.
func (r *reader) readStageArg(kv instructions.KeyValuePairOptional, line, stage int, env *envList) Variable {
	v := newArg(kv, line, stage)
	bv, passed := r.buildArgs[kv.Key]
	switch {
	case passed:
		v.Value, v.Set, v.FromBuildArg = bv, true, true
	case kv.Value != nil:
		if val, _, err := r.lex.ProcessWord(*kv.Value, env); err == nil {
			v.Value, v.Set = val, true
		}
	default:
		if gv, ok := r.global.Get(kv.Key); ok {
			v.Value, v.Set = gv, true
		}
	}
	if v.Set && !nonEnvArgs[v.Name] {
		env.set(v.Name, v.Value)
	}
	return v
}

// readEnv expands the whole instruction against the environment before it,
// as BuildKit does, so `ENV A=1 B=$A` gives B the A from before the line.
func (r *reader) readEnv(c *instructions.EnvCommand, line, stage int, env *envList) []Variable {
	written := append(instructions.KeyValuePairs(nil), c.Env...)
	expandErr := c.Expand(r.expander(env))
	var out []Variable
	for i, kv := range c.Env {
		v := Variable{
			Instruction: "ENV",
			Name:        kv.Key,
			Default:     written[i].Value,
			HasDefault:  true,
			Line:        line,
			Stage:       stage,
		}
		if expandErr == nil {
			v.Value, v.Set = kv.Value, true
			env.set(kv.Key, kv.Value)
		}
		v.LooksSecret = LooksSecret(v.Name)
		v.LooksSecretGlued = LooksSecretGlued(v.Name)
		out = append(out, v)
	}
	return out
}

func (r *reader) expander(env *envList) instructions.SingleWordExpander {
	return func(word string) (string, error) {
		out, _, err := r.lex.ProcessWord(word, env)
		return out, err
	}
}

// readCopy resolves --from like BuildKit's toCommand: no variables, a number
// is a stage index, a stage name (any stage, case-insensitive) wins over an
// image.
func (r *reader) readCopy(c *instructions.CopyCommand, line int) Copy {
	cp := Copy{Line: line, From: c.From, Sources: c.SourcePaths, Dest: c.DestPath}
	ref, img, problem := r.resolveFrom(c.From, line)
	switch {
	case problem != "":
		cp.Kind, cp.Problem = SourceInvalid, problem
	case ref != nil:
		cp.Kind, cp.Stage = SourceStage, ref
	default:
		cp.Kind, cp.Image = SourceImage, img
	}
	return cp
}

func (r *reader) resolveFrom(from string, line int) (*StageRef, *Image, string) {
	if expanded, _, err := r.lex.ProcessWord(from, newEnvList()); err != nil || expanded != from {
		return nil, nil, "variable expansion is not supported for --from: define a stage with FROM using a global ARG instead"
	}
	if index, err := strconv.Atoi(from); err == nil {
		if index < 0 || index >= len(r.stages) {
			return nil, nil, fmt.Sprintf("invalid stage index %d: the Dockerfile has %d stages, numbered from 0", index, len(r.stages))
		}
		return &StageRef{Index: index, Name: r.stages[index].Name}, nil, ""
	}
	if j, ok := r.byName[strings.ToLower(from)]; ok {
		return &StageRef{Index: j, Name: r.stages[j].Name}, nil, ""
	}
	img, err := ParseImage(from)
	if err != nil {
		r.badCopyRefs = append(r.badCopyRefs, badRef{line, from, errors.Unwrap(err)})
		return nil, nil, err.Error()
	}
	return nil, img, ""
}

func (r *reader) readRun(c *instructions.RunCommand, line int, scope stageScope) Run {
	run := Run{Line: line, Source: c.String()}
	// Mount flags are only parsed for real by Expand; before it every
	// mount reads as an empty bind.
	if err := c.Expand(r.expander(scope.env)); err != nil {
		run.MountError = stableMountMessage(err.Error())
	} else {
		for _, m := range instructions.GetMounts(c) {
			run.Mounts = append(run.Mounts, readMount(m))
		}
	}
	run.RecordedArgs = recordedArgs(scope)
	return run
}

// recordedArgs follows runCommandString: each ARG in scope once, in the
// order first declared, with the value the environment has at the RUN (an
// ENV of the same name overrides it).
func recordedArgs(scope stageScope) []Variable {
	var out []Variable
	index := map[string]int{}
	for _, v := range scope.args {
		if val, ok := scope.env.Get(v.Name); ok {
			v.Value, v.Set = val, true
		}
		if i, ok := index[v.Name]; ok {
			out[i] = v
			continue
		}
		index[v.Name] = len(out)
		out = append(out, v)
	}
	return out
}

// readMount fills in BuildKit's defaults for secrets (dispatchSecret): the id
// falls back to the source, then to the target's base name, and a secret
// with neither target nor env lands in /run/secrets/<id>.
func readMount(m *instructions.Mount) Mount {
	out := Mount{
		Type:     string(m.Type),
		ID:       m.CacheID,
		Target:   m.Target,
		Source:   m.Source,
		From:     m.From,
		Required: m.Required,
		ReadOnly: m.ReadOnly,
	}
	if m.Env != nil {
		out.Env = *m.Env
	}
	if m.Type == instructions.MountTypeSecret {
		if m.Source != "" {
			out.ID = m.Source
		}
		if out.ID == "" && m.Target != "" {
			out.ID = path.Base(m.Target)
		}
		if m.Env == nil && m.Target == "" {
			out.Target = "/run/secrets/" + path.Base(out.ID)
		}
	}
	return out
}

// markUsed finds the stages a build of the target runs: BuildKit skips the
// others (their RUNs never happen, their secrets are never mounted).
func markUsed(a *Analysis) {
	used := make([]bool, len(a.Stages))
	var visit func(i int)
	visit = func(i int) {
		if i < 0 || i >= len(a.Stages) || used[i] {
			return
		}
		used[i] = true
		s := a.Stages[i]
		if s.Base.Stage != nil {
			visit(s.Base.Stage.Index)
		}
		for _, c := range s.Copies {
			if c.Stage != nil {
				visit(c.Stage.Index)
			}
		}
		for _, run := range s.Runs {
			for _, m := range run.Mounts {
				if m.From == "" {
					continue
				}
				if index, err := strconv.Atoi(m.From); err == nil {
					visit(index)
				} else if j, ok := stageIndexByName(a.Stages, m.From); ok {
					visit(j)
				}
			}
		}
	}
	visit(a.Target)
	for i := range a.Stages {
		a.Stages[i].Used = used[i]
	}
}

func stageIndexByName(stages []Stage, name string) (int, bool) {
	found, index := false, 0
	for i, s := range stages {
		if s.Name != "" && s.Name == strings.ToLower(name) {
			found, index = true, i
		}
	}
	return index, found
}

// automaticArgs are the ARGs BuildKit defines before the first line
// (dockerfile2llb defaultArgs); build arguments override them.
func automaticArgs(p ocispecs.Platform, overrides map[string]string, target string) *envList {
	if target == "" {
		target = "default"
	}
	env := newEnvList()
	for _, kv := range [][2]string{
		{"BUILDPLATFORM", platforms.Format(p)},
		{"BUILDOS", p.OS},
		{"BUILDOSVERSION", p.OSVersion},
		{"BUILDARCH", p.Architecture},
		{"BUILDVARIANT", p.Variant},
		{"TARGETPLATFORM", platforms.FormatAll(p)},
		{"TARGETOS", p.OS},
		{"TARGETOSVERSION", p.OSVersion},
		{"TARGETARCH", p.Architecture},
		{"TARGETVARIANT", p.Variant},
		{"TARGETSTAGE", target},
	} {
		v := kv[1]
		if o, ok := overrides[kv[0]]; ok {
			v = o
		}
		env.set(kv[0], v)
	}
	return env
}

func targetPlatform(s string) (ocispecs.Platform, error) {
	if s == "" {
		s = "linux/" + runtime.GOARCH
	}
	p, err := platforms.Parse(s)
	if err != nil {
		return ocispecs.Platform{}, fmt.Errorf("platform %q: %w", s, err)
	}
	return platforms.Normalize(p), nil
}

// directives lists the parser directives at the top of the file, read with
// BuildKit's directive parser (which stops at the first other line). Like
// BuildKit's syntax and check detection it skips a byte-order mark and a
// #! first line.
func directives(src []byte) []Directive {
	src = bytes.TrimPrefix(src, []byte("\xEF\xBB\xBF"))
	skipped := 0
	if first, rest, _ := bytes.Cut(src, []byte("\n")); bytes.HasPrefix(first, []byte("#!")) {
		src, skipped = rest, 1
	}
	var p parser.DirectiveParser
	found, _ := p.ParseAll(src)
	var out []Directive
	for _, d := range found {
		out = append(out, Directive{Name: d.Name, Value: d.Value, Line: firstLine(d.Location) + skipped})
	}
	return out
}

func firstLine(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

// newError turns a BuildKit error into one that names the line and keeps
// BuildKit's wording (which is what `docker build` prints), without the
// "dockerfile parse error on line N:" prefix since the line is separate.
func newError(file string, err error) *Error {
	e := &Error{File: file, Message: err.Error(), err: err}
	var located *parser.LocationError
	if errors.As(err, &located) {
		for _, loc := range located.Locations {
			if line := firstLine(loc); line > 0 {
				e.Line = line
				break
			}
		}
	}
	if inner := errors.Unwrap(err); inner != nil && strings.HasSuffix(e.Message, ": "+inner.Error()) {
		e.Message = inner.Error()
	}
	if msg, ok := unknownInstructionMessage(err); ok {
		e.Message = msg
	}
	e.Message = stableMountMessage(e.Message)
	return e
}
