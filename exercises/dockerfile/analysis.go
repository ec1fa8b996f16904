package dockerfile

import (
	"fmt"
)

// Analysis is what the tutor knows about a learner's Dockerfile without
// building it. It is plain data (JSON-friendly); the methods answer the
// questions the course's checks ask.
type Analysis struct {
	// Filename is the name used in messages ("Dockerfile").
	Filename string `json:"filename"`
	// Directives are the parser directives at the top (syntax, escape, check).
	Directives []Directive `json:"directives,omitempty"`
	// EscapeToken is the line-continuation character: \ or ` (# escape=`).
	EscapeToken string `json:"escapeToken"`
	// BuildArgs are the --build-arg values the analysis assumed.
	BuildArgs map[string]string `json:"buildArgs,omitempty"`
	// GlobalArgs are the ARGs before the first FROM, usable in FROM lines.
	GlobalArgs []Variable `json:"globalArgs,omitempty"`
	Stages     []Stage    `json:"stages"`
	// Target is the index of the stage the build produces: the one named
	// by Options.Target, or the last one.
	Target int `json:"target"`
	// Warnings are BuildKit's own lint warnings (what `docker build --check`
	// prints), honouring `# check=` directives.
	Warnings []Warning `json:"warnings,omitempty"`
	// BuildError is set when the Dockerfile parses but BuildKit would still
	// refuse to build it (a FROM that expands to nothing, a circular COPY
	// --from, a bad --mount): the build fails before it runs anything.
	BuildError *Error `json:"buildError,omitempty"`
}

// Directive is a parser directive such as `# syntax=docker/dockerfile:1`.
type Directive struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Line  int    `json:"line"`
}

// Stage is one FROM and the instructions under it.
type Stage struct {
	Index int `json:"index"`
	// Name is the alias after AS, lower-cased as BuildKit stores it.
	Name string `json:"name,omitempty"`
	// Line is the line of the FROM instruction.
	Line int  `json:"line"`
	Base Base `json:"base"`
	// Used is true when a build of the target runs this stage: the target
	// itself and every stage it builds FROM, copies from or mounts from.
	// BuildKit skips the others.
	Used bool `json:"used"`
	// Platform is --platform as written; PlatformExpanded after ARG expansion.
	Platform         string `json:"platform,omitempty"`
	PlatformExpanded string `json:"platformExpanded,omitempty"`
	// Args and Env are the ARG and ENV instructions of this stage, in order.
	Args []Variable `json:"args,omitempty"`
	Env  []Variable `json:"env,omitempty"`
	// Copies are the COPY --from instructions.
	Copies []Copy `json:"copies,omitempty"`
	Runs   []Run  `json:"runs,omitempty"`
	// ContextReads are the instructions that take files from the build
	// context: COPY and ADD without --from, and RUN --mount=type=bind
	// without from.
	ContextReads []ContextRead `json:"contextReads,omitempty"`
}

// ContextRead is an instruction that takes files from the build context.
type ContextRead struct {
	Line int `json:"line"`
	// Instruction is COPY, ADD or RUN --mount=type=bind.
	Instruction string `json:"instruction"`
	// Sources are the context paths as written ("." for a bind mount
	// without source).
	Sources []string `json:"sources"`
}

// BaseKind says what a FROM line builds on.
type BaseKind string

const (
	// BaseScratch: FROM scratch, the empty image.
	BaseScratch BaseKind = "scratch"
	// BaseStage: an earlier stage of the same Dockerfile.
	BaseStage BaseKind = "stage"
	// BaseImage: an image from a registry or the local image store.
	BaseImage BaseKind = "image"
	// BaseInvalid: the name expands to something Docker cannot use; see
	// Base.Problem.
	BaseInvalid BaseKind = "invalid"
)

// Base is the base of a stage.
type Base struct {
	// Written is the name as in the Dockerfile: node:${NODE_VERSION}.
	Written string `json:"written"`
	// Expanded is the name after ARG expansion: node:22.
	Expanded string   `json:"expanded"`
	Kind     BaseKind `json:"kind"`
	// Stage is set when Kind is BaseStage.
	Stage *StageRef `json:"stage,omitempty"`
	// Image is set when Kind is BaseImage.
	Image *Image `json:"image,omitempty"`
	// Problem says why Kind is BaseInvalid.
	Problem string `json:"problem,omitempty"`
}

// StageRef points at a stage of the same Dockerfile.
type StageRef struct {
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"`
}

// Variable is one ARG or ENV key.
type Variable struct {
	// Instruction is "ARG" or "ENV".
	Instruction string `json:"instruction"`
	Name        string `json:"name"`
	// Default is the value as written (an ARG default or an ENV value);
	// HasDefault tells `ARG X=` (empty default) from `ARG X` (none).
	Default    string `json:"default,omitempty"`
	HasDefault bool   `json:"hasDefault"`
	// Value is what the build will use: a passed build argument, else the
	// expanded default, else (ARG only) the global ARG of the same name.
	// Set is false when an ARG ends up with no value at all.
	Value string `json:"value,omitempty"`
	Set   bool   `json:"set"`
	// FromBuildArg is true when Value comes from a passed --build-arg.
	FromBuildArg bool `json:"fromBuildArg,omitempty"`
	Line         int  `json:"line"`
	// Stage is the index of the stage that declares it; -1 for global ARGs.
	Stage int `json:"stage"`
	// LooksSecret applies BuildKit's SecretsUsedInArgOrEnv rule to Name.
	LooksSecret bool `json:"looksSecret,omitempty"`
	// LooksSecretGlued: Name holds a secret word glued to others (APPTOKEN,
	// repoToken), which BuildKit's rule misses (LooksSecretGlued).
	LooksSecretGlued bool `json:"looksSecretGlued,omitempty"`
}

// SourceKind says where COPY --from takes files from.
type SourceKind string

const (
	// SourceStage: another stage of this Dockerfile.
	SourceStage SourceKind = "stage"
	// SourceImage: an image (BuildKit reads an unknown name as an image).
	SourceImage SourceKind = "image"
	// SourceInvalid: BuildKit would reject it; see Copy.Problem.
	SourceInvalid SourceKind = "invalid"
)

// Copy is a COPY --from instruction.
type Copy struct {
	Line int `json:"line"`
	// From is the --from value as written.
	From  string     `json:"from"`
	Kind  SourceKind `json:"kind"`
	Stage *StageRef  `json:"stage,omitempty"`
	Image *Image     `json:"image,omitempty"`
	// Problem says why Kind is SourceInvalid.
	Problem string `json:"problem,omitempty"`
	// Sources and Dest are the paths as written.
	Sources []string `json:"sources,omitempty"`
	Dest    string   `json:"dest"`
}

// Run is a RUN instruction.
type Run struct {
	Line int `json:"line"`
	// Source is the instruction as written, continuation lines joined; a
	// heredoc's body is not part of it (`RUN <<EOF`).
	Source string `json:"source"`
	// Mounts are its --mount flags, after ARG/ENV expansion and with
	// BuildKit's defaults filled in.
	Mounts []Mount `json:"mounts,omitempty"`
	// MountError is BuildKit's complaint about a --mount flag it would
	// reject; Mounts is then empty.
	MountError string `json:"mountError,omitempty"`
	// RecordedArgs are the ARGs in scope, which BuildKit puts into the
	// command's environment and writes, with their values, into the image
	// history (`RUN |2 A=1 B=2 /bin/sh -c …`), whether or not the command
	// uses them. A stage built FROM another stage inherits its ARGs.
	RecordedArgs []Variable `json:"recordedArgs,omitempty"`
}

// Mount is a RUN --mount flag.
type Mount struct {
	// Type is bind, cache, tmpfs, secret or ssh.
	Type string `json:"type"`
	// ID is the secret's or cache's id. For a secret BuildKit falls back to
	// the source, then to the base name of the target.
	ID string `json:"id,omitempty"`
	// Target is where the mount appears; a secret without target or env
	// lands in /run/secrets/<id>.
	Target string `json:"target,omitempty"`
	// Env is the environment variable a secret is exposed as (env=…).
	Env      string `json:"env,omitempty"`
	Source   string `json:"source,omitempty"`
	From     string `json:"from,omitempty"`
	Required bool   `json:"required,omitempty"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// Warning is a BuildKit lint warning.
type Warning struct {
	// Rule is the BuildKit rule name, such as SecretsUsedInArgOrEnv.
	Rule string `json:"rule"`
	// Message is the warning about this Dockerfile.
	Message string `json:"message"`
	// Description is the rule's general description.
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
	// Line is where it applies; 0 when it concerns the whole file.
	Line int `json:"line"`
}

// Error is a problem at a line of a Dockerfile, worded for a learner:
// `Dockerfile:3: unknown instruction: RNU (did you mean RUN?)`.
type Error struct {
	File string `json:"file"`
	// Line is 1-based; 0 when the problem concerns the whole file.
	Line    int    `json:"line"`
	Message string `json:"message"`
	err     error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Message)
}

// Unwrap gives BuildKit's own error, when there is one.
func (e *Error) Unwrap() error { return e.err }
