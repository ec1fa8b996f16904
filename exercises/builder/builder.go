// Package builder builds a course step's image on the learner's Docker
// daemon: it sends the step's workspace folder (honouring .dockerignore) to
// BuildKit through a session when the daemon offers it, or to the classic
// builder otherwise, streams what happens as typed events, and reports the
// image it made or why the build failed. Every image it builds carries the
// tutor's labels; a cancelled build reads as aborted and leaves no
// container behind.
package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

// Kind names a builder.
type Kind string

const (
	// Auto uses BuildKit when the daemon offers it and the classic builder
	// otherwise.
	Auto Kind = "auto"
	// BuildKit is the builder of current Docker (secret mounts, cache
	// mounts, build checks).
	BuildKit Kind = "buildkit"
	// Classic is the legacy builder, the only one older daemons offer.
	Classic Kind = "classic"
)

// Options describe one build.
type Options struct {
	// Course and Step name the step the image belongs to, and Namespace
	// whose it is; the image gets labels.For(Namespace, Course, Step).
	Course, Step string
	Namespace    lessons.Namespace
	// Dir is the build context: the step's workspace folder.
	Dir string
	// Dockerfile is the Dockerfile's path relative to Dir; "Dockerfile"
	// when empty.
	Dockerfile string
	// Tags name the image ("name:tag").
	Tags []string
	// BuildArgs are passed as --build-arg.
	BuildArgs []BuildArg
	// Secrets are offered to RUN --mount=type=secret (BuildKit only).
	Secrets []Secret
	// Target is the stage to build; the last stage when empty.
	Target string
	// NoCache builds every step afresh.
	NoCache bool
	// Now is the clock the build's step times are read from; nil is
	// time.Now. A session with a fixed clock (its tests) gets fixed times.
	Now func() time.Time
	// Labels are added to the image besides the tutor's own labels.
	Labels map[string]string
	// Builder chooses the builder; Auto when empty.
	Builder Kind
}

// BuildArg is one --build-arg.
type BuildArg struct {
	Name  string
	Value string
	// Secret marks a value the learner should not see printed: Command
	// shows it as a reference to the environment variable Env instead.
	Secret bool
	// Env is the environment variable Command refers to for a secret
	// value; Name when empty.
	Env string
}

// Secret is one BuildKit secret, readable by RUN --mount=type=secret,id=ID.
// Exactly one source is used: Value when set, else the environment
// variable Env, else the file File.
type Secret struct {
	ID string
	// Value holds the secret in memory. Command, which cannot print it,
	// refers to the environment variable Env (or the ID in upper case).
	Value []byte
	Env   string
	File  string
}

// Result is a finished build.
type Result struct {
	ImageID  string
	Builder  Kind
	Duration time.Duration
	// Warnings are the builder's warnings (unused build args, the fallback
	// to the classic builder, ...).
	Warnings []string
}

// plan is a validated build: options resolved against the file system.
type plan struct {
	opts           Options
	dir            string // absolute context directory
	dockerfileRel  string // slash-separated, relative to dir
	dockerfileDir  string // absolute directory holding the Dockerfile
	dockerfileName string
	facts          dockerfileFacts
	buildArgs      map[string]*string
	secrets        map[string][]byte
	labels         map[string]string
}

// Build builds opts.Dir and reports what happens through onEvent (nil
// drops the events) as it happens, in order, on the calling goroutine; a
// slow onEvent holds up the reading of the build's output, so hand events
// off rather than render in it.
func Build(ctx context.Context, d daemon.Builder, opts Options, onEvent func(Event)) (Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	start := opts.Now()
	if onEvent == nil {
		onEvent = func(Event) {}
	}
	p, err := newPlan(opts)
	if err != nil {
		return Result{}, err
	}

	res, err := run(ctx, d, p, onEvent)
	if err != nil {
		return Result{}, err
	}
	res.Duration = opts.Now().Sub(start)
	return res, nil
}

// run picks the builder and runs the build.
func run(ctx context.Context, d daemon.Builder, p *plan, onEvent func(Event)) (Result, error) {
	podman, _, err := daemon.IsPodman(ctx, d)
	if err != nil {
		return Result{}, err
	}
	if podman {
		// Buildah is the only builder there, whichever was asked for;
		// it runs what the step needs BuildKit for (secret mounts).
		res, err := buildWithBuildah(ctx, d, p, onEvent)
		if err == nil && (p.opts.Builder == BuildKit || len(p.secrets) > 0 || len(p.facts.mountLines) > 0) {
			onEvent(Event{Kind: Warning, Text: buildahWarning})
			res.Warnings = append([]string{buildahWarning}, res.Warnings...)
		}
		return res, err
	}
	switch p.opts.Builder {
	case Classic:
		if err := p.classicCanRun("the classic builder was requested"); err != nil {
			return Result{}, err
		}
		return buildClassic(ctx, d, p, onEvent)
	case BuildKit:
		avail, err := Detect(ctx, d)
		if err != nil {
			return Result{}, err
		}
		if !avail.BuildKit {
			return Result{}, fmt.Errorf("%w: %s", ErrBuildKitUnavailable, avail.Reason)
		}
		return buildWithBuildKit(ctx, d, p, onEvent)
	case Auto, "":
		avail, err := Detect(ctx, d)
		if err != nil {
			return Result{}, err
		}
		why := avail.Reason
		if avail.BuildKit {
			res, err := buildWithBuildKit(ctx, d, p, onEvent)
			if !errors.Is(err, ErrBuildKitUnavailable) {
				return res, err
			}
			why = strings.TrimPrefix(err.Error(), ErrBuildKitUnavailable.Error()+": ")
		}
		if err := p.classicCanRun(why); err != nil {
			return Result{}, err
		}
		fallback := "BuildKit is not available (" + why + "); the classic builder ran this build"
		onEvent(Event{Kind: Warning, Text: fallback})
		res, err := buildClassic(ctx, d, p, onEvent)
		if err != nil {
			return Result{}, err
		}
		res.Warnings = append([]string{fallback}, res.Warnings...)
		return res, nil
	}
	return Result{}, fmt.Errorf("unknown builder %q (want %q, %q or %q)", p.opts.Builder, Auto, BuildKit, Classic)
}

// classicCanRun refuses, before anything is sent, a build the classic
// builder would reject; why says why the classic builder is the one left.
func (p *plan) classicCanRun(why string) error {
	if len(p.facts.mountLines) > 0 {
		return fmt.Errorf("%w: RUN --mount on Dockerfile line %d is a BuildKit feature, and %s", ErrNeedsBuildKit, p.facts.mountLines[0], why)
	}
	if len(p.opts.Secrets) > 0 {
		return fmt.Errorf("%w: build secrets are a BuildKit feature, and %s", ErrNeedsBuildKit, why)
	}
	return nil
}

func newPlan(opts Options) (*plan, error) {
	if strings.TrimSpace(opts.Course) == "" || strings.TrimSpace(opts.Step) == "" {
		return nil, errors.New("a build needs the course and step it belongs to (they label the image)")
	}
	if opts.Dir == "" {
		return nil, errors.New("no build context folder given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", opts.Dir, err)
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("build context %s is not a folder", dir)
	}
	rel := opts.Dockerfile
	if rel == "" {
		rel = "Dockerfile"
	}
	if filepath.IsAbs(rel) {
		return nil, fmt.Errorf("Dockerfile path %q must be relative to the build context", rel)
	}
	dfPath := filepath.Join(dir, rel)
	if r, err := filepath.Rel(dir, dfPath); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("Dockerfile path %q leaves the build context %s", rel, dir)
	}
	content, err := os.ReadFile(dfPath)
	if err != nil {
		return nil, fmt.Errorf("read the Dockerfile: %w", err)
	}
	p := &plan{
		opts:           opts,
		dir:            dir,
		dockerfileRel:  filepath.ToSlash(filepath.Clean(rel)),
		dockerfileDir:  filepath.Dir(dfPath),
		dockerfileName: filepath.Base(dfPath),
		buildArgs:      map[string]*string{},
		secrets:        map[string][]byte{},
		labels:         map[string]string{},
	}
	for _, tag := range opts.Tags {
		named, err := reference.ParseNormalizedNamed(tag)
		if err != nil {
			return nil, fmt.Errorf("image name %q: %w", tag, err)
		}
		if _, ok := named.(reference.Digested); ok {
			return nil, fmt.Errorf("image name %q: a build can tag an image but not give it a digest", tag)
		}
	}
	plainArgs := map[string]string{}
	for _, a := range opts.BuildArgs {
		if a.Name == "" || strings.ContainsAny(a.Name, "= \t\n") {
			return nil, fmt.Errorf("build arg name %q: must be non-empty, without '=' or spaces", a.Name)
		}
		v := a.Value
		p.buildArgs[a.Name] = &v
		plainArgs[a.Name] = v
	}
	for _, s := range opts.Secrets {
		if s.ID == "" || strings.ContainsAny(s.ID, ", \t\n=") {
			return nil, fmt.Errorf("secret id %q: must be non-empty, without ',', '=' or spaces", s.ID)
		}
		if _, dup := p.secrets[s.ID]; dup {
			return nil, fmt.Errorf("secret id %q given twice", s.ID)
		}
		value, err := s.resolve()
		if err != nil {
			return nil, err
		}
		p.secrets[s.ID] = value
	}
	for k, v := range opts.Labels {
		p.labels[k] = v
	}
	// The tutor's labels win: reset finds its images by them.
	for k, v := range labels.For(opts.Namespace, opts.Course, opts.Step) {
		p.labels[k] = v
	}
	p.facts = readDockerfile(content, plainArgs)
	return p, nil
}

// maxSecretSize is BuildKit's own limit for one secret.
const maxSecretSize = 500 * 1024

func (s Secret) resolve() ([]byte, error) {
	switch {
	case s.Value != nil:
		return s.Value, nil
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return nil, fmt.Errorf("secret %q: environment variable %s is not set", s.ID, s.Env)
		}
		return []byte(v), nil
	case s.File != "":
		fi, err := os.Stat(s.File)
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", s.ID, err)
		}
		if fi.Size() > maxSecretSize {
			return nil, fmt.Errorf("secret %q: file %s is larger than BuildKit's limit of %d bytes", s.ID, s.File, maxSecretSize)
		}
		v, err := os.ReadFile(s.File)
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", s.ID, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("secret %q has no source (a value, an environment variable or a file)", s.ID)
}

// explain turns the daemon's failure message into a BuildError, naming the
// Dockerfile line and a base image that is missing when that is the cause.
func (p *plan) explain(ctx context.Context, d daemon.Builder, kind Kind, step, msg string) error {
	be := &BuildError{Builder: kind, Step: step, Message: msg}
	be.Line = lineInMessage(msg)
	if be.Line == 0 && step != "" {
		be.Line = p.facts.lineOfStep(step)
	}
	for _, base := range p.facts.bases {
		if !mentions(step, base.ref) && !mentions(msg, base.ref) {
			continue
		}
		if _, err := d.ImageInspect(ctx, base.ref); err != nil && cerrdefs.IsNotFound(err) {
			be.MissingImage = base.ref
			be.Line = base.line
			break
		}
	}
	if strings.Contains(strings.ToLower(msg), "requires buildkit") {
		return fmt.Errorf("%w: %w", ErrNeedsBuildKit, be)
	}
	return be
}

// aborted is the error of a build the caller cancelled.
func aborted(ctx context.Context) error {
	return fmt.Errorf("%w: %w", ErrAborted, context.Cause(ctx))
}
