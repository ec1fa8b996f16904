package lessons

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Check is one typed, declarative check of a step.
type Check struct {
	ID   string
	Type string
	// Title names what the check asks, for an instructor who sees how a
	// room fares ("the final stage copies the build's output"); Name gives
	// it, or the type's summary when the author wrote none.
	Title string
	Spec  CheckSpec
	Line  int // line of the check in step.md, for authors
}

// Name is what the check is called where a person reads it: its title,
// else its type's summary.
func (c Check) Name() string {
	if c.Title != "" {
		return c.Title
	}
	if ct, ok := LookupCheckType(c.Type); ok {
		return ct.Summary
	}
	return c.ID
}

// NeedsDaemon reports whether checking the step asks the Docker daemon:
// whether one of its checks is of a type that asks it.
func (s *Step) NeedsDaemon() bool {
	for _, c := range s.Checks {
		if c.Daemon() != DaemonNone {
			return true
		}
	}
	return false
}

// Daemon says whether the check asks the Docker daemon. A spec may narrow
// its type's use: dockerfile.base asks only when it verifies.
func (c Check) Daemon() DaemonUse {
	t, ok := LookupCheckType(c.Type)
	if !ok {
		return DaemonNone
	}
	spec := c.Spec
	if spec == nil {
		spec = t.New()
	}
	if s, ok := spec.(interface{ daemonUse() DaemonUse }); ok {
		return s.daemonUse()
	}
	return t.Daemon
}

// CheckSpec is the typed parameters of a check. Package exercises
// evaluates each concrete type.
type CheckSpec interface {
	validate() []string
}

// DaemonUse says whether a check type asks the Docker daemon.
type DaemonUse int

const (
	// DaemonNone: the check reads files and answers only.
	DaemonNone DaemonUse = iota
	// DaemonNeeded: the check cannot be made without the daemon; when it
	// does not answer, the result is an error, not a failure.
	DaemonNeeded
	// DaemonOptional: the check asks the daemon when it answers and is
	// made without it otherwise (and says what it could not check).
	DaemonOptional
)

// CheckType is one word of the check vocabulary, as authors name it in
// step.md. Each is declared once, in checkTypes.
type CheckType struct {
	Name    string
	Summary string
	Daemon  DaemonUse
	new     func() CheckSpec
	// images points at the spec's fields that name images. The first is
	// the image the check is about; left empty, it is the step's image.
	images func(CheckSpec) []*string
}

// New returns an empty spec of the type, for a course file to fill.
func (t CheckType) New() CheckSpec { return t.new() }

// declare makes the vocabulary entry of the spec type S. images, when not
// nil, returns pointers to the fields of a spec that name images.
func declare[S any, P interface {
	*S
	CheckSpec
}](name, summary string, daemon DaemonUse, images func(P) []*string) CheckType {
	t := CheckType{Name: name, Summary: summary, Daemon: daemon, new: func() CheckSpec { return P(new(S)) }}
	t.images = func(spec CheckSpec) []*string {
		if p, ok := spec.(P); ok && images != nil {
			return images(p)
		}
		return nil
	}
	return t
}

// The check vocabulary. Package exercises/check evaluates each type; its
// tests hold it to this list.
var checkTypes = []CheckType{
	declare[DockerfileParses]("dockerfile.parses", "the Dockerfile parses with BuildKit's parser", DaemonNone, nil),
	// With verify, the daemon (when it answers) tells which digests are
	// local image IDs or repository digests, and asks the registry.
	declare[DockerfileBase]("dockerfile.base", "the base image of the final stage (or every stage) follows a tag policy", DaemonOptional, nil),
	declare[DockerfileStages]("dockerfile.stages", "the Dockerfile has a number of stages", DaemonNone, nil),
	declare[DockerfileCopiesFromStage]("dockerfile.copies-from-stage", "the final stage copies from an earlier stage", DaemonNone, nil),
	declare[DockerfileSecretMount]("dockerfile.secret-mount", "a RUN uses a BuildKit secret mount", DaemonNone, nil),
	declare[DockerfileNoContextFile]("dockerfile.no-context-file", "no stage the build runs takes a file from the build context", DaemonNone, nil),
	declare[DockerfileNoSecretArgs]("dockerfile.no-secret-args", "no secret-looking ARG or ENV in the final stage", DaemonNone, nil),
	declare[ImageExists]("image.exists", "an image with the tag exists", DaemonNeeded,
		func(c *ImageExists) []*string { return []*string{&c.Image} }),
	declare[ImageFresh]("image.fresh", "the image was built after the step began", DaemonNeeded,
		func(c *ImageFresh) []*string { return []*string{&c.Image} }),
	declare[ImageFile]("image.file", "the image has (or lacks) a file at a path", DaemonNeeded,
		func(c *ImageFile) []*string { return []*string{&c.Image} }),
	declare[ImageEnv]("image.env", "the image config sets (or does not set) an environment variable", DaemonNeeded,
		func(c *ImageEnv) []*string { return []*string{&c.Image} }),
	declare[ImageLabel]("image.label", "the image config has a label", DaemonNeeded,
		func(c *ImageLabel) []*string { return []*string{&c.Image} }),
	declare[ImageUser]("image.user", "the image runs as a user other than root", DaemonNeeded,
		func(c *ImageUser) []*string { return []*string{&c.Image} }),
	declare[ImageSize]("image.size", "the image is at most a size, or smaller than another image", DaemonNeeded,
		func(c *ImageSize) []*string { return []*string{&c.Image, &c.SmallerThan} }),
	declare[LeakAbsent]("leak.absent", "the learner's secret is nowhere in the image", DaemonNeeded,
		func(c *LeakAbsent) []*string { return []*string{&c.Image} }),
	declare[LeakFound]("leak.found", "the learner's secret can be found in the image", DaemonNeeded,
		func(c *LeakFound) []*string { return []*string{&c.Image} }),
	declare[ContainerRuntimeEnv]("container.runtime-env", "a container from the image has a variable at run time that the image lacks", DaemonNeeded,
		func(c *ContainerRuntimeEnv) []*string { return []*string{&c.Image} }),
	declare[ContainerExitCode]("container.exit-code", "a container from the image exited with a code", DaemonNeeded,
		func(c *ContainerExitCode) []*string { return []*string{&c.Image} }),
	declare[ContainerLog]("container.log", "a container from the image logged a line", DaemonNeeded,
		func(c *ContainerLog) []*string { return []*string{&c.Image} }),
	declare[AnswerChoice]("answer.choice", "the quiz answer is right", DaemonNone, nil),
	declare[AnswerValue]("answer.value", "the free answer matches what the tutor knows", DaemonNone, nil),
	// The report is a file, compared with the image's ID, layers and OS.
	declare[TrivyReport]("trivy.report", "the step folder holds trivy's JSON report of the image as it is now", DaemonNeeded,
		func(c *TrivyReport) []*string { return []*string{&c.Image} }),
}

// CheckTypes lists the check vocabulary.
func CheckTypes() []CheckType { return slices.Clone(checkTypes) }

// LookupCheckType finds a check type by the name authors use.
func LookupCheckType(name string) (CheckType, bool) {
	i := slices.IndexFunc(checkTypes, func(t CheckType) bool { return t.Name == name })
	if i < 0 {
		return CheckType{}, false
	}
	return checkTypes[i], true
}

// specTypes finds a check type by the Go type of its spec.
var specTypes = func() map[reflect.Type]CheckType {
	m := make(map[reflect.Type]CheckType, len(checkTypes))
	for _, t := range checkTypes {
		m[reflect.TypeOf(t.new())] = t
	}
	return m
}()

// TypeOfSpec finds the check type a spec belongs to.
func TypeOfSpec(spec CheckSpec) (CheckType, bool) {
	t, ok := specTypes[reflect.TypeOf(spec)]
	return t, ok
}

// SpecImages are the image names a spec names, in the order of its fields,
// leaving out the empty ones.
func SpecImages(spec CheckSpec) []string {
	t, ok := TypeOfSpec(spec)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range t.images(spec) {
		if *f != "" {
			out = append(out, *f)
		}
	}
	return out
}

func checkTypeNames() []string {
	names := make([]string, len(checkTypes))
	for i, t := range checkTypes {
		names[i] = t.Name
	}
	return names
}

// TagClass names how a base image reference moves over time.
type TagClass string

const (
	TagNone        TagClass = "no-tag"       // FROM node: implicitly latest
	TagLatest      TagClass = "latest"       // FROM node:latest
	TagNamed       TagClass = "named"        // lts, stable, current, edge: moves
	TagVariantOnly TagClass = "variant-only" // alpine, slim: newest version of a variant
	TagMajor       TagClass = "major"        // 22, 22-alpine
	TagMajorMinor  TagClass = "major-minor"  // 22.11, 22.11-slim
	TagFullVersion TagClass = "full-version" // 22.11.0: rebuilt only while newest of its line
	TagDated       TagClass = "dated"        // bookworm-20241202: a snapshot
	TagDigest      TagClass = "digest"       // @sha256:…: never moves
)

// TagClasses lists every class, most moving first.
var TagClasses = []TagClass{TagNone, TagLatest, TagNamed, TagVariantOnly, TagMajor, TagMajorMinor, TagFullVersion, TagDated, TagDigest}

// tagGroups are names authors may use for several classes at once.
var tagGroups = map[string][]TagClass{
	"floating": {TagNone, TagLatest, TagNamed, TagVariantOnly},
	"partial":  {TagMajor, TagMajorMinor},
	"pinned":   {TagFullVersion, TagDated, TagDigest},
}

// ExpandTagPolicy turns class and group names into classes.
func ExpandTagPolicy(names []string) ([]TagClass, error) {
	var out []TagClass
	for _, n := range names {
		if g, ok := tagGroups[n]; ok {
			out = append(out, g...)
			continue
		}
		found := false
		for _, c := range TagClasses {
			if string(c) == n {
				out = append(out, c)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown tag class %q (use %s, or a group: floating, partial, pinned)", n, joinClasses())
		}
	}
	return out, nil
}

func joinClasses() string {
	s := make([]string, len(TagClasses))
	for i, c := range TagClasses {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// Stage selectors used by dockerfile checks.
const (
	StageFinal = "final"
	StageAll   = "all"
)

// DockerfileParses: the file parses.
type DockerfileParses struct {
	File string `yaml:"file"` // default Dockerfile
}

// DockerfileBase: base image policy.
type DockerfileBase struct {
	File  string `yaml:"file"`
	Stage string `yaml:"stage"` // final (default) or all
	// Allow lists tag classes or groups the base may use.
	Allow []string `yaml:"allow"`
	// Repository, when set, is the image the base must be (familiar name, e.g. node).
	Repository string `yaml:"repository"`
	// Variants, when set, are the variants one of which the tag must carry (alpine, slim).
	Variants []string `yaml:"variants"`
	// Lines, when set, are the release lines the tag must be on ("24", or
	// "3.22"; a codename the course's release table knows counts as its
	// line): a step that says to stay on a line.
	Lines []string `yaml:"lines"`
	// Verify holds the base to the facts: its line has not ended and its
	// version can exist (the course's release table), a digest is the
	// repository's and not a local image ID, and the registry, where it
	// can be asked, has the tag or digest.
	Verify bool `yaml:"verify"`
}

func (c *DockerfileBase) daemonUse() DaemonUse {
	if c.Verify {
		return DaemonOptional
	}
	return DaemonNone
}

// DockerfileStages: number of stages.
type DockerfileStages struct {
	File string `yaml:"file"`
	Min  int    `yaml:"min"`
	Max  int    `yaml:"max"`
}

// DockerfileCopiesFromStage: the final stage copies from an earlier one.
type DockerfileCopiesFromStage struct {
	File string `yaml:"file"`
}

// DockerfileSecretMount: a RUN mounts a secret.
type DockerfileSecretMount struct {
	File string `yaml:"file"`
	// Secret is the secret's id, empty for any. (Not "id": that names the check.)
	Secret string `yaml:"secret"`
}

// DockerfileNoContextFile: no stage the build runs takes the context file
// at Path (a secret's file in the step folder) into the build: no COPY or
// ADD of it, of a pattern or folder that holds it, and no bind mount of it,
// unless .dockerignore keeps it out of the context.
type DockerfileNoContextFile struct {
	File string `yaml:"file"`
	Path string `yaml:"path"`
}

// DockerfileNoSecretArgs: no secret-looking ARG/ENV where it would leak.
type DockerfileNoSecretArgs struct {
	File  string   `yaml:"file"`
	Stage string   `yaml:"stage"` // final (default) or all
	Names []string `yaml:"names"` // extra names to treat as secret
}

// ImageExists: the tag exists.
type ImageExists struct {
	Image string `yaml:"image"` // default {{.Image}}
}

// ImageFresh: built after the step began.
type ImageFresh struct {
	Image string `yaml:"image"`
}

// ImageFile: a path in the image's filesystem.
type ImageFile struct {
	Image  string `yaml:"image"`
	Path   string `yaml:"path"`
	Absent bool   `yaml:"absent"`
}

// ImageEnv: Config.Env has (or lacks) a variable.
type ImageEnv struct {
	Image  string `yaml:"image"`
	Name   string `yaml:"name"`
	Absent bool   `yaml:"absent"`
}

// ImageLabel: Config.Labels has a key (and value, when given, or a value
// of the given format).
type ImageLabel struct {
	Image string `yaml:"image"`
	Key   string `yaml:"key"`
	Value string `yaml:"value"`
	// Format is what the value must look like: url (an http or https
	// address with a host, as org.opencontainers.image.source) or commit
	// (a git commit hash, 7 to 64 hex digits, as
	// org.opencontainers.image.revision).
	Format string `yaml:"format"`
}

// Label value formats of image.label.
const (
	LabelURL    = "url"
	LabelCommit = "commit"
)

// ImageUser: Config.User is set and is not root.
type ImageUser struct {
	Image string `yaml:"image"`
}

// ImageSize: a size bound.
type ImageSize struct {
	Image       string `yaml:"image"`
	Max         string `yaml:"max"`          // "20MB", "1.5GiB"
	SmallerThan string `yaml:"smaller-than"` // another image
}

// LeakAbsent: the secret is nowhere in the image.
type LeakAbsent struct {
	Image string `yaml:"image"`
}

// LeakFound: the secret is in the image (the "find it" steps).
type LeakFound struct {
	Image string `yaml:"image"`
}

// ContainerRuntimeEnv: a container of the image has Var at run time while
// the image config does not, with Value when it is set (a template, such
// as "{{.Secret}}": this learner's value, not another's).
type ContainerRuntimeEnv struct {
	Image string `yaml:"image"`
	Var   string `yaml:"var"`
	Value string `yaml:"value"`
}

// ContainerExitCode: a container of the image exited with Code.
type ContainerExitCode struct {
	Image string `yaml:"image"`
	Code  int    `yaml:"code"`
}

// ContainerLog: a container of the image logged a line containing Contains.
type ContainerLog struct {
	Image    string `yaml:"image"`
	Contains string `yaml:"contains"` // a template
}

// AnswerChoice: the recorded quiz answer is the right set of choices.
type AnswerChoice struct{}

// AnswerValue: the recorded free answer matches the step's Answer, or,
// with Of, holds one of its values.
type AnswerValue struct {
	// Of is the id of one of the answer's values (answer.values); empty
	// is the whole answer.
	Of string `yaml:"of"`
}

// TrivyReport: a trivy JSON report of the image at File.
type TrivyReport struct {
	File  string `yaml:"file"`
	Image string `yaml:"image"`
}

// bindsToTheStep marks the check types that bind what they read to the
// learner and the step by themselves (an image built, a container started
// since the step opened; a report in the learner's folder of the image as
// it is now), so lint asks no image.fresh beside them.
type bindsToTheStep interface{ bindsToTheStep() }

func (*ImageFresh) bindsToTheStep()          {}
func (*ContainerRuntimeEnv) bindsToTheStep() {}
func (*ContainerExitCode) bindsToTheStep()   {}
func (*ContainerLog) bindsToTheStep()        {}
func (*TrivyReport) bindsToTheStep()         {}

func (c *DockerfileParses) validate() []string { return nil }

func (c *DockerfileBase) validate() []string {
	var p []string
	p = append(p, validStage(c.Stage)...)
	if len(c.Allow) == 0 && len(c.Variants) == 0 && c.Repository == "" && !c.Verify && len(c.Lines) == 0 {
		p = append(p, "dockerfile.base needs allow, variants, lines, repository or verify: say what the base image must be")
	}
	for _, l := range c.Lines {
		if len(VersionNumbers(l)) == 0 {
			p = append(p, fmt.Sprintf("lines: %q is not a version line such as 24 or 3.22", l))
		}
	}
	if _, err := ExpandTagPolicy(c.Allow); err != nil {
		p = append(p, err.Error())
	}
	return p
}

func validStage(s string) []string {
	if s == "" || s == StageFinal || s == StageAll {
		return nil
	}
	return []string{fmt.Sprintf("stage %q: use %q or %q", s, StageFinal, StageAll)}
}

func (c *DockerfileStages) validate() []string {
	if c.Min == 0 && c.Max == 0 {
		return []string{"dockerfile.stages needs min or max"}
	}
	if c.Max != 0 && c.Min > c.Max {
		return []string{fmt.Sprintf("min %d is above max %d", c.Min, c.Max)}
	}
	return nil
}

func (c *DockerfileCopiesFromStage) validate() []string { return nil }
func (c *DockerfileSecretMount) validate() []string     { return nil }

func (c *DockerfileNoContextFile) validate() []string {
	if p := strings.TrimSpace(c.Path); p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(path.Clean(p), "..") {
		return []string{fmt.Sprintf("path %q must name a file inside the step folder (relative, not leaving it)", c.Path)}
	}
	return nil
}
func (c *DockerfileNoSecretArgs) validate() []string { return validStage(c.Stage) }
func (c *ImageExists) validate() []string            { return nil }
func (c *ImageFresh) validate() []string             { return nil }
func (c *ImageUser) validate() []string              { return nil }
func (c *LeakAbsent) validate() []string             { return nil }
func (c *LeakFound) validate() []string              { return nil }
func (c *AnswerChoice) validate() []string           { return nil }
func (c *AnswerValue) validate() []string            { return nil }

func (c *ImageFile) validate() []string {
	if !strings.HasPrefix(c.Path, "/") {
		return []string{fmt.Sprintf("path %q must be absolute inside the image (start with /)", c.Path)}
	}
	return nil
}

func (c *ImageEnv) validate() []string { return required("name", c.Name) }

func (c *ImageLabel) validate() []string {
	problems := required("key", c.Key)
	switch c.Format {
	case "", LabelURL, LabelCommit:
	default:
		problems = append(problems, fmt.Sprintf("format %q is not one of url, commit", c.Format))
	}
	return problems
}

func (c *ImageSize) validate() []string {
	if c.Max == "" && c.SmallerThan == "" {
		return []string{"image.size needs max or smaller-than"}
	}
	if c.Max != "" {
		if _, err := ParseSize(c.Max); err != nil {
			return []string{err.Error()}
		}
	}
	return nil
}

func (c *ContainerRuntimeEnv) validate() []string { return required("var", c.Var) }
func (c *ContainerExitCode) validate() []string   { return nil }
func (c *ContainerLog) validate() []string        { return required("contains", c.Contains) }
func (c *TrivyReport) validate() []string         { return required("file", c.File) }

func required(field, v string) []string {
	if strings.TrimSpace(v) == "" {
		return []string{fmt.Sprintf("%s is required", field)}
	}
	return nil
}

// ParseSize reads sizes such as "20MB", "1.5GiB" or "512kB" as bytes.
func ParseSize(s string) (int64, error) {
	units := map[string]float64{
		"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	}
	t := strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, fmt.Errorf("size %q: write a number and a unit, such as 20MB", s)
	}
	var n float64
	if _, err := fmt.Sscanf(t[:i], "%g", &n); err != nil {
		return 0, fmt.Errorf("size %q: %v", s, err)
	}
	u, ok := units[strings.TrimSpace(t[i:])]
	if !ok {
		keys := make([]string, 0, len(units))
		for k := range units {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return 0, fmt.Errorf("size %q: unknown unit (use one of %s)", s, strings.Join(keys, ", "))
	}
	return int64(n * u), nil
}
