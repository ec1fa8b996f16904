package tutor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/runner"
	"github.com/dockertutor/dockertutor/lessons"
)

// ErrNoAction says a step has nothing for the tutor to run.
var ErrNoAction = errors.New("this step has no action to run: do it in your terminal, then check")

// buildOptions fills the step's build action with the learner's values.
func (s *Session) buildOptions(st *lessons.Step, v lessons.Values) (builder.Options, error) {
	b := st.Action.Build
	kind := b.Builder
	if kind == lessons.BuilderAuto && s.builder != "" {
		kind = s.builder
	}
	tag, err := lessons.Expand(cmp.Or(b.Tag, st.Image), v)
	if err != nil {
		return builder.Options{}, err
	}
	dir := s.Work.StepDir(st)
	if b.PackContext != "" {
		// What the command shows; Run builds a temporary copy of it.
		dir = b.PackContext
	}
	o := builder.Options{
		Course: s.Course.ID, Step: st.ID, Namespace: s.ns, Dir: dir,
		Dockerfile: b.Dockerfile, Tags: []string{v.ImageName(tag)}, Target: b.Target,
		Builder: builderKind(kind), NoCache: s.noCache, Now: s.now,
	}
	for _, name := range slices.Sorted(maps.Keys(b.Args)) {
		val, err := lessons.Expand(b.Args[name], v)
		if err != nil {
			return o, fmt.Errorf("build arg %s: %w", name, err)
		}
		// The canary is shown in the command on purpose: seeing it typed
		// in plain sight is part of the lesson. A pack-context build is
		// someone else's: its values are theirs, and the command only
		// names them.
		o.BuildArgs = append(o.BuildArgs, builder.BuildArg{Name: name, Value: val, Secret: b.PackContext != ""})
	}
	for _, id := range slices.Sorted(maps.Keys(b.Secrets)) {
		val, err := lessons.Expand(b.Secrets[id], v)
		if err != nil {
			return o, fmt.Errorf("secret %s: %w", id, err)
		}
		o.Secrets = append(o.Secrets, builder.Secret{ID: id, Value: []byte(val), Env: builder.SecretEnv(id)})
	}
	// BuildKit leaves secret values out of its cache keys: a RUN that
	// copies a mounted secret would come from another build's cache,
	// holding someone else's secret, and a check for the learner's own
	// would pass a wrong answer. The command shown to type gets
	// --no-cache too.
	if len(o.Secrets) > 0 {
		o.NoCache = true
	}
	return o, nil
}

func builderName(k builder.Kind) string {
	switch k {
	case builder.BuildKit:
		return "BuildKit"
	case builder.Buildah:
		return "Buildah (Podman's builder)"
	}
	return "the classic builder"
}

func builderKind(b lessons.Builder) builder.Kind {
	switch b {
	case lessons.BuilderBuildKit:
		return builder.BuildKit
	case lessons.BuilderClassic:
		return builder.Classic
	}
	return builder.Auto
}

func (s *Session) runOptions(st *lessons.Step, v lessons.Values) (runner.Options, error) {
	r := st.Action.Run
	img, err := lessons.Expand(cmp.Or(r.Image, st.Image), v)
	if err != nil {
		return runner.Options{}, err
	}
	o := runner.Options{Course: s.Course.ID, Step: st.ID, Namespace: s.ns, Image: v.ImageName(img), Cmd: r.Cmd}
	for _, name := range slices.Sorted(maps.Keys(r.Env)) {
		val, err := lessons.Expand(r.Env[name], v)
		if err != nil {
			return o, fmt.Errorf("env %s: %w", name, err)
		}
		o.Env = append(o.Env, runner.EnvVar{Name: name, Value: val, Secret: strings.Contains(val, v.Secret)})
	}
	return o, nil
}

// ActionCommand is the docker command a learner can type to do what the
// step's action does; "" when the step has none. Once the session knows
// the engine is Podman (DockerBuild), the build is podman build's, which
// builds there what docker build cannot.
func (s *Session) ActionCommand(st *lessons.Step) string {
	if st.Action == nil {
		return ""
	}
	p, _ := s.Progress()
	v := s.Values(st, p)
	var cmds []string
	if st.Action.Build != nil {
		o, err := s.buildOptions(st, v)
		if err != nil {
			return ""
		}
		cmd, assign := builder.Command(o), " "
		if s.onPodman() {
			// Podman's secret is read in a process substitution, which the
			// shell expands before a VAR=value prefix takes effect: the
			// variable is set first, in the learner's shell.
			cmd, assign = builder.PodmanCommand(o), "; "
		}
		for _, sec := range o.Secrets {
			if st.Action.Build.PackContext == "" { // someone else's secrets are named, never shown
				cmd = sec.Env + "=" + shellQuote(string(sec.Value)) + assign + cmd
			}
		}
		cmds = append(cmds, cmd)
	}
	if st.Action.Run != nil {
		o, err := s.runOptions(st, v)
		if err != nil {
			return ""
		}
		cmd := runner.Command(o)
		if s.onPodman() {
			cmd = runner.PodmanCommand(o)
		}
		for _, e := range o.Env {
			if e.Secret {
				cmd = e.Name + "=" + shellQuote(e.Value) + " " + cmd
			}
		}
		cmds = append(cmds, cmd)
	}
	return strings.Join(cmds, " && ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '-' || r == '_' || r == '.' || r == ':' || r == '=' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Run performs the step's action (a build or a container run), sending
// events as they happen: the equivalent command first, EventDone or
// EventError last. A cancelled ctx stops it and returns an error wrapping
// context.Canceled. events may be nil.
func (s *Session) Run(ctx context.Context, st *lessons.Step, events chan<- Event) error {
	if st.Action == nil {
		return ErrNoAction
	}
	p, _, err := s.Enter(st)
	if err != nil {
		return err
	}
	v := s.Values(st, p)
	hidden := hiddenValues(st, v)
	emit := func(kind EventKind, text string) {
		if events == nil {
			return
		}
		for _, h := range hidden {
			text = leak.Redact(text, h)
		}
		select {
		case events <- Event{Time: s.now(), Kind: kind, Text: text}:
		case <-ctx.Done():
		}
	}
	cli, err := s.conn.get(ctx)
	if err != nil {
		emit(EventCommand, s.ActionCommand(st))
		emit(EventError, "Docker is not reachable: "+err.Error())
		return unreachable(err)
	}
	// The command to show is Podman's on Podman, which finding the
	// learner's docker build tells (once a session).
	s.DockerBuild(ctx)
	emit(EventCommand, s.ActionCommand(st))
	start := s.now()
	if st.Action.Build != nil {
		o, err := s.buildOptions(st, v)
		if err != nil {
			emit(EventError, err.Error())
			return err
		}
		if st.Action.Build.PackContext != "" {
			dir, err := layOutPackContext(st.Action.Build.Context, v)
			if err != nil {
				emit(EventError, err.Error())
				return err
			}
			defer os.RemoveAll(dir)
			o.Dir = dir
		}
		var made []string
		res, err := builder.Build(ctx, cli, o, func(e builder.Event) {
			if e.Kind == builder.StepImage {
				made = append(made, e.Image)
			}
			emit(buildEventKind(e.Kind), e.String())
		})
		// Failed and aborted builds leave their finished steps' images
		// too: remember them either way, for reset.
		s.rememberBuilt(st, made)
		if err != nil {
			return s.actionError(ctx, err, emit)
		}
		for _, w := range res.Warnings {
			emit(EventWarning, w)
		}
		emit(EventDone, fmt.Sprintf("Built %s (%s) with %s in %s.", strings.Join(o.Tags, ", "), daemon.ShortID(res.ImageID), builderName(res.Builder), s.since(start)))
	}
	if st.Action.Run != nil {
		o, err := s.runOptions(st, v)
		if err != nil {
			emit(EventError, err.Error())
			return err
		}
		start = s.now()
		res, err := runner.Run(ctx, cli, o, func(l runner.Line) { emit(EventOutput, leak.Redact(l.Text, v.Secret)) })
		if err != nil {
			return s.actionError(ctx, err, emit)
		}
		emit(EventDone, fmt.Sprintf("Container %s exited with code %d after %s.", res.Name, res.ExitCode, s.since(start)))
	}
	return nil
}

// actionError reports a failed action, telling an abort (the learner
// pressed esc) and a lost daemon apart from a failure.
func (s *Session) actionError(ctx context.Context, err error, emit func(EventKind, string)) error {
	switch {
	case ctx.Err() != nil || errors.Is(err, builder.ErrAborted) || errors.Is(err, runner.ErrAborted):
		if errors.Is(err, builder.ErrFinishesInBackground) {
			emit(EventError, "Aborted. "+builder.ErrFinishesInBackground.Error()+".")
		} else {
			emit(EventError, "Aborted.")
		}
		return fmt.Errorf("aborted: %w", context.Canceled)
	case isConnectionError(err):
		s.conn.drop()
		emit(EventError, "Lost the Docker daemon: "+err.Error())
		return unreachable(err)
	}
	emit(EventError, err.Error())
	return err
}

func buildEventKind(k builder.EventKind) EventKind {
	switch k {
	case builder.StepStarted, builder.StepCached, builder.StepDone, builder.StepFailed:
		return EventStep
	case builder.Warning:
		return EventWarning
	}
	return EventOutput
}

// Solve puts the reference solution in the step folder (backing up the
// learner's files) and runs the step's action, if any. For a quiz or
// free-answer step it records the reference answer instead, as if the
// learner had typed it, and says so in an EventDone. events may be nil.
func (s *Session) Solve(ctx context.Context, st *lessons.Step, events chan<- Event) error {
	if st.Kind == lessons.KindQuiz || st.Kind == lessons.KindAnswer {
		return s.solveAnswer(ctx, st, events)
	}
	p, _, err := s.enter(st)
	if err != nil {
		return err
	}
	if _, err := s.Work.Apply(st, st.Solution, s.Values(st, p), false); err != nil {
		return err
	}
	if _, err := s.Update(func(p *progress.Progress) error { p.Step(st.ID).SolutionSeen = true; return nil }); err != nil {
		return err
	}
	s.observe(Activity{Kind: SolutionShown, Step: st.ID})
	if st.Action == nil {
		return nil
	}
	return s.Run(ctx, st, events)
}

// solveAnswer records the step's reference answer and marks the solution
// seen. The event names the answer, except the learner's canary, which
// output never shows.
func (s *Session) solveAnswer(ctx context.Context, st *lessons.Step, events chan<- Event) error {
	p, err := s.Progress()
	if err != nil {
		return err
	}
	v := s.Values(st, p)
	answer, err := st.ReferenceAnswer(v)
	if err != nil {
		return err
	}
	if _, err := s.Update(func(p *progress.Progress) error {
		if err := p.RecordAnswer(st, answer, s.now().UTC()); err != nil {
			return err
		}
		p.Step(st.ID).SolutionSeen = true
		return nil
	}); err != nil {
		return err
	}
	s.observe(Activity{Kind: SolutionShown, Step: st.ID})
	said := "Recorded the reference answer: " + answer + "."
	if v.Secret != "" && strings.Contains(answer, v.Secret) {
		said = "Recorded the reference answer: your canary secret (" + leak.Redact(answer, v.Secret) + ")."
	}
	if events != nil {
		select {
		case events <- Event{Time: s.now(), Kind: EventDone, Text: said}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Solution returns the reference solution's files (path -> content), with
// the learner's values filled in, to show.
func (s *Session) Solution(st *lessons.Step) (map[string]string, error) {
	p, err := s.Progress()
	if err != nil {
		return nil, err
	}
	v := s.Values(st, p)
	out := map[string]string{}
	for _, name := range st.Solution.List {
		data, err := st.Solution.Read(name)
		if err != nil {
			return nil, err
		}
		text := string(data)
		if strings.HasSuffix(name, lessons.TemplateSuffix) {
			if text, err = lessons.Expand(text, v); err != nil {
				return nil, err
			}
			name = strings.TrimSuffix(name, lessons.TemplateSuffix)
		}
		out[name] = text
	}
	s.observe(Activity{Kind: SolutionShown, Step: st.ID})
	return out, nil
}
