package lessons

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// FormatVersion is the course pack format this build reads.
const FormatVersion = 1

// Course is a loaded, validated course pack.
type Course struct {
	Format  int
	ID      string
	Title   string
	Summary string
	// Images are the base images the exercises build from; a classroom
	// prepares them ahead of time.
	Images []BaseImage
	// Releases is the dated table of the release lines of the images the
	// course names; nil when the pack has none.
	Releases *Releases
	Lessons  []*Lesson

	fsys     fs.FS
	warnings Problems // the loader's; Warnings adds the day's
}

// BaseImage is an image the course's exercises need on the daemon.
type BaseImage struct {
	// Ref names the image by tag (alpine:3.22): what the exercises' FROM
	// lines and the learner's commands say.
	Ref string `yaml:"ref"`
	// Digest pins the tag to the repository digest the course was proven
	// with (sha256:<64 hex>): the multi-platform index's digest where the
	// image has one, so every platform's machine pulls the same release.
	// prepare pulls by it and doctor says whether a machine has it.
	Digest string `yaml:"digest"`
	Why    string `yaml:"why"`
}

// Pinned is the image's reference by tag and digest
// (alpine:3.22@sha256:…), or its Ref alone when the pack pins no digest.
func (b BaseImage) Pinned() string {
	if b.Digest == "" {
		return b.Ref
	}
	return b.Ref + "@" + b.Digest
}

// Lesson is one topic: an ordered list of steps.
type Lesson struct {
	ID      string // the lesson's folder name
	Number  int    // 1-based position in the course
	Title   string
	Summary string
	Steps   []*Step
}

// Kind says what a step asks of the learner.
type Kind string

const (
	KindRead     Kind = "read"     // text only; done once read
	KindQuiz     Kind = "quiz"     // pick one or more choices
	KindAnswer   Kind = "answer"   // type a value the learner found
	KindExercise Kind = "exercise" // change files or Docker state, then checked
)

// Step is the unit a learner works through.
type Step struct {
	ID     string
	Number string // "4.2": lesson 4, step 2
	Title  string
	Kind   Kind
	// Text is the step's markdown before templating; render it with Render.
	Text string
	// Main is the file the editor opens, relative to the step folder.
	Main string
	// Image is the image name this step builds or inspects ({{.Image}}).
	Image string
	// Optional steps can be skipped without blocking the course summary.
	Optional bool
	Action   *Action
	Checks   []Check
	Hints    []string
	Quiz     *Quiz
	Answer   *Answer
	Starter  Files
	Solution Files
	Attempts []Attempt

	// SecretNeededAt says when the app needs the step's secret, so that
	// a check that finds it where it does not belong advises the right
	// fix: a build secret mount, or handing it in at run time.
	SecretNeededAt SecretNeededAt

	Lesson *Lesson
	// Dir is the step's folder inside the course pack.
	Dir string
}

// SecretNeededAt is when the app needs the step's secret.
type SecretNeededAt string

const (
	// SecretNeededUnsaid: the step does not say; checks report what they
	// found without advising a fix for it.
	SecretNeededUnsaid SecretNeededAt = ""
	// SecretNeededAtBuild: a build step needs it (a token for a private
	// repository): hand it to that RUN with a secret mount.
	SecretNeededAtBuild SecretNeededAt = "build"
	// SecretNeededAtRun: the running service needs it (an API token, a
	// database password): hand it in when the container starts.
	SecretNeededAtRun SecretNeededAt = "run"
)

// Action is what the tutor can perform for the learner: a build, a run,
// or both (build the step folder, then run the image).
type Action struct {
	Build *BuildAction `yaml:"build"`
	Run   *RunAction   `yaml:"run"`
}

// Builder selects which of the daemon's builders an action uses.
type Builder string

const (
	BuilderAuto     Builder = ""         // BuildKit when the daemon has it, else classic
	BuilderBuildKit Builder = "buildkit" // required: the step uses secret mounts
	BuilderClassic  Builder = "classic"
)

// BuildAction builds the step folder. Values are templates.
type BuildAction struct {
	Dockerfile string            `yaml:"dockerfile"`
	Tag        string            `yaml:"tag"`
	Args       map[string]string `yaml:"args"`
	// Secrets maps a secret id to its value, passed through BuildKit's
	// session, never as a build argument.
	Secrets map[string]string `yaml:"secrets"`
	Target  string            `yaml:"target"`
	Builder Builder           `yaml:"builder"`
	// PackContext, when set, names a folder of the step in the course
	// pack to build instead of the step folder: someone else's project
	// (a teammate's), which is never laid out where the learner could
	// read it. The tutor builds a temporary copy, templates filled.
	PackContext string `yaml:"pack-context"`
	// Context is the PackContext folder's files.
	Context Files `yaml:"-"`
}

// RunAction runs a container. Values are templates.
type RunAction struct {
	Image string            `yaml:"image"`
	Env   map[string]string `yaml:"env"`
	Cmd   []string          `yaml:"cmd"`
}

// Quiz is a question with choices; the question itself is the step text.
type Quiz struct {
	Multiple bool     `yaml:"multiple"`
	Choices  []Choice `yaml:"choices"`
}

// Choice is one quiz option. Why explains it after the learner answers.
type Choice struct {
	ID      string `yaml:"id"`
	Text    string `yaml:"text"`
	Correct bool   `yaml:"correct"`
	Why     string `yaml:"why"`
}

// Answer says what a free answer is compared with.
type Answer struct {
	// Expect is "secret" (the learner's canary), "text" or "values"
	// (ExpectValues).
	Expect string `yaml:"expect"`
	// Value is the expected text when Expect is "text"; a template.
	Value string `yaml:"value"`
	// Prompt is the label of the input field.
	Prompt string `yaml:"prompt"`
	// Values are the values the answer must hold when Expect is
	// ExpectValues, each checked by a check of its own.
	Values []AnswerPart `yaml:"values"`
}

// ExpectValues is the expectation of an answer that holds several values
// the learner found, typed separated by spaces.
const ExpectValues = "values"

// Attempt is a wrong solution that must fail the named checks. It is the
// starter files with Files on top, then the step's action, unless the
// attempt replaces the action (Action) or skips it (NoAction).
type Attempt struct {
	Name     string
	Why      string
	Fails    []string // check ids
	Files    Files
	Action   *Action
	NoAction bool
	// Answer is what the attempt types, for an answer step; nil types
	// nothing. A template.
	Answer *string
}

// Files is a folder of files inside the course pack.
type Files struct {
	fsys fs.FS
	Dir  string   // folder inside the pack; empty means none
	List []string // slash paths relative to Dir, sorted
}

// Empty reports whether there are no files.
func (f Files) Empty() bool { return len(f.List) == 0 }

// Read returns the content of one file, by its path relative to Dir.
func (f Files) Read(name string) ([]byte, error) {
	return fs.ReadFile(f.fsys, path.Join(f.Dir, name))
}

// Render returns a file's name and content as laid out: a template
// (TemplateSuffix) filled with the values and its suffix dropped, any
// other file as it is.
func (f Files) Render(name string, v Values) (string, []byte, error) {
	data, err := f.Read(name)
	if err != nil || !strings.HasSuffix(name, TemplateSuffix) {
		return name, data, err
	}
	out, err := Expand(string(data), v)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	return strings.TrimSuffix(name, TemplateSuffix), []byte(out), nil
}

func listFiles(fsys fs.FS, dir string) (Files, error) {
	files := Files{fsys: fsys, Dir: dir}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel := p[len(dir)+1:]
			files.List = append(files.List, rel)
		}
		return nil
	})
	sort.Strings(files.List)
	return files, err
}

// Steps returns every step of the course in order.
func (c *Course) Steps() []*Step {
	var all []*Step
	for _, l := range c.Lessons {
		all = append(all, l.Steps...)
	}
	return all
}

// Step finds a step by id or by number ("4.2").
func (c *Course) Step(idOrNumber string) (*Step, bool) {
	for _, s := range c.Steps() {
		if s.ID == idOrNumber || s.Number == idOrNumber {
			return s, true
		}
	}
	return nil, false
}

// Check finds a check of the step by id.
func (s *Step) Check(id string) (Check, bool) {
	for _, c := range s.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}
