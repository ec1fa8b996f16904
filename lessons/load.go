package lessons

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/distribution/reference"
	"go.yaml.in/yaml/v3"
)

// The files of a course pack.
const (
	ManifestFile = "course.yaml"
	LessonFile   = "lesson.yaml"
	StepFile     = "step.md"
	StarterDir   = "starter"
	SolutionDir  = "solution"
	AttemptsDir  = "attempts"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

type manifestFile struct {
	Format   int         `yaml:"format"`
	ID       string      `yaml:"id"`
	Title    string      `yaml:"title"`
	Summary  string      `yaml:"summary"`
	Images   []BaseImage `yaml:"images"`
	Releases *Releases   `yaml:"releases"`
	Lessons  []string    `yaml:"lessons"`
}

type lessonFile struct {
	Title   string   `yaml:"title"`
	Summary string   `yaml:"summary"`
	Steps   []string `yaml:"steps"`
}

type stepFront struct {
	Title    string        `yaml:"title"`
	Kind     Kind          `yaml:"kind"`
	Main     string        `yaml:"main"`
	Image    string        `yaml:"image"`
	Optional bool          `yaml:"optional"`
	Action   *Action       `yaml:"action"`
	Checks   []yaml.Node   `yaml:"checks"`
	Hints    []string      `yaml:"hints"`
	Quiz     *Quiz         `yaml:"quiz"`
	Answer   *Answer       `yaml:"answer"`
	Attempts []attemptFile `yaml:"attempts"`

	// SecretNeededAt: build or run (see SecretNeededAt).
	SecretNeededAt SecretNeededAt `yaml:"secret-needed-at"`
}

type attemptFile struct {
	Name     string   `yaml:"name"`
	Why      string   `yaml:"why"`
	Fails    []string `yaml:"fails"`
	Action   *Action  `yaml:"action"`
	NoAction bool     `yaml:"no-action"`
	Answer   *string  `yaml:"answer"`
}

// Load reads and validates a course pack. The course is usable only when
// no problems are returned; problems come sorted by file and line.
func Load(fsys fs.FS) (*Course, Problems) {
	l := &loader{fsys: fsys, stepIDs: map[string]string{}}
	c := l.course()
	if c != nil {
		c.warnings = l.warnings.sorted()
	}
	return c, l.ps.sorted()
}

type loader struct {
	fsys     fs.FS
	ps       Problems
	warnings Problems          // what holds but needs the author's look (Course.Warnings)
	stepIDs  map[string]string // step id -> file that declared it
}

func (l *loader) readYAML(file string) (*yaml.Node, bool) {
	data, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		l.ps.add(file, 0, "cannot read: %v", unwrapPathError(err))
		return nil, false
	}
	return l.parseYAML(file, 0, data)
}

func (l *loader) parseYAML(file string, offset int, data []byte) (*yaml.Node, bool) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		reportYAMLError(file, offset, err, &l.ps)
		return nil, false
	}
	if len(n.Content) == 0 {
		l.ps.add(file, offset+1, "empty: expected a YAML mapping")
		return nil, false
	}
	root := n.Content[0]
	if root.Kind != yaml.MappingNode {
		l.ps.add(file, root.Line+offset, "expected a YAML mapping of fields, found %s", kindName(root.Kind))
		return nil, false
	}
	return root, true
}

func (l *loader) course() *Course {
	root, ok := l.readYAML(ManifestFile)
	if !ok {
		return nil
	}
	var m manifestFile
	decodeStrict(ManifestFile, 0, root, &m, &l.ps)
	c := &Course{Format: m.Format, ID: m.ID, Title: m.Title, Summary: m.Summary, Images: m.Images, Releases: m.Releases, fsys: l.fsys}
	line := func(key string) int { return keyLine(root, key, 0) }
	if m.Format != FormatVersion {
		l.ps.add(ManifestFile, line("format"), "format %d is not supported: this dockertutor reads format %d", m.Format, FormatVersion)
	}
	if !idPattern.MatchString(m.ID) {
		l.ps.add(ManifestFile, line("id"), "id %q: use lower-case letters, digits and dashes, such as image-security", m.ID)
	}
	if strings.TrimSpace(m.Title) == "" {
		l.ps.add(ManifestFile, line("title"), "title is required")
	}
	for i, img := range m.Images {
		l.checkBaseImage(img, seqLine(root, "images", i))
	}
	if m.Releases != nil {
		m.Releases.line = line("releases")
		m.Releases.validate(root, &l.ps)
	}
	if len(m.Lessons) == 0 {
		l.ps.add(ManifestFile, line("lessons"), "lessons is empty: list the lesson folders in order")
	}
	seen := map[string]bool{}
	for i, id := range m.Lessons {
		at := seqLine(root, "lessons", i)
		if seen[id] {
			l.ps.add(ManifestFile, at, "lesson %q is listed twice", id)
			continue
		}
		seen[id] = true
		if !safeName(id) {
			l.ps.add(ManifestFile, at, "lesson %q must be a folder name next to course.yaml (no slashes, no ..)", id)
			continue
		}
		if les := l.lesson(id, len(c.Lessons)+1, ManifestFile, at); les != nil {
			c.Lessons = append(c.Lessons, les)
		}
	}
	return c
}

func (l *loader) lesson(id string, number int, from string, fromLine int) *Lesson {
	if fi, err := fs.Stat(l.fsys, id); err != nil || !fi.IsDir() {
		l.ps.add(from, fromLine, "lesson folder %q does not exist", id)
		return nil
	}
	file := path.Join(id, LessonFile)
	root, ok := l.readYAML(file)
	if !ok {
		return nil
	}
	var lf lessonFile
	decodeStrict(file, 0, root, &lf, &l.ps)
	les := &Lesson{ID: id, Number: number, Title: lf.Title, Summary: lf.Summary}
	if strings.TrimSpace(lf.Title) == "" {
		l.ps.add(file, keyLine(root, "title", 0), "title is required")
	}
	if len(lf.Steps) == 0 {
		l.ps.add(file, keyLine(root, "steps", 0), "steps is empty: list the step folders in order")
	}
	for i, sid := range lf.Steps {
		at := seqLine(root, "steps", i)
		if !idPattern.MatchString(sid) {
			l.ps.add(file, at, "step %q: a step folder name is its id: lower-case letters, digits and dashes", sid)
			continue
		}
		if prev, dup := l.stepIDs[sid]; dup {
			l.ps.add(file, at, "step id %q is already used in %s: step ids are unique in a course", sid, prev)
			continue
		}
		l.stepIDs[sid] = file
		if s := l.step(les, sid, fmt.Sprintf("%d.%d", number, len(les.Steps)+1), file, at); s != nil {
			les.Steps = append(les.Steps, s)
		}
	}
	return les
}

// splitFrontMatter returns the YAML between the leading --- lines, the
// markdown after it, and the file line where the body starts.
func splitFrontMatter(data []byte) (front, body []byte, bodyLine int, err error) {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(data, []byte("---\n")) {
		return nil, nil, 0, errors.New("must start with a --- line, then the step's YAML fields, then another --- line")
	}
	rest := data[4:]
	end := bytes.Index(rest, []byte("\n---\n"))
	switch {
	case end >= 0:
	case bytes.HasSuffix(rest, []byte("\n---")):
		end = len(rest) - 4
	default:
		return nil, nil, 0, errors.New("the front matter is not closed: add a --- line after the step's fields")
	}
	front = rest[:end+1]
	body = rest[min(end+5, len(rest)):]
	bodyLine = 2 + bytes.Count(front, []byte("\n")) + 1
	return front, body, bodyLine, nil
}

func (l *loader) step(les *Lesson, id, number, from string, fromLine int) *Step {
	dir := path.Join(les.ID, id)
	file := path.Join(dir, StepFile)
	data, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		l.ps.add(from, fromLine, "step %q: cannot read %s: %v", id, file, unwrapPathError(err))
		return nil
	}
	front, body, bodyLine, err := splitFrontMatter(data)
	if err != nil {
		l.ps.add(file, 1, "%v", err)
		return nil
	}
	root, ok := l.parseYAML(file, 1, front)
	if !ok {
		return nil
	}
	var sf stepFront
	decodeStrict(file, 1, root, &sf, &l.ps)
	line := func(key string) int { return keyLine(root, key, 1) }

	s := &Step{
		ID: id, Number: number, Title: sf.Title, Kind: sf.Kind, Text: string(body),
		Main: sf.Main, Image: sf.Image, Optional: sf.Optional, Action: sf.Action,
		Hints: sf.Hints, Quiz: sf.Quiz, Answer: sf.Answer, Lesson: les, Dir: dir,
	}
	if strings.TrimSpace(s.Title) == "" {
		l.ps.add(file, line("title"), "title is required")
	}
	s.SecretNeededAt = sf.SecretNeededAt
	switch s.SecretNeededAt {
	case SecretNeededUnsaid, SecretNeededAtBuild, SecretNeededAtRun:
	default:
		l.ps.add(file, line("secret-needed-at"), "secret-needed-at %q is neither %s nor %s", s.SecretNeededAt, SecretNeededAtBuild, SecretNeededAtRun)
	}
	if strings.TrimSpace(s.Text) == "" {
		l.ps.add(file, bodyLine, "the step has no text: write its markdown after the front matter")
	}
	l.checkShown(file, bodyLine, s.Text)

	s.Starter = l.files(file, dir, StarterDir)
	s.Solution = l.files(file, dir, SolutionDir)
	for i := range sf.Checks {
		if c, ok := l.check(file, &sf.Checks[i], s); ok {
			s.Checks = append(s.Checks, c)
		}
	}
	for i, h := range sf.Hints {
		if strings.TrimSpace(h) == "" {
			l.ps.add(file, seqLine(root, "hints", i)+1, "hint %d is empty", i+1)
		}
		l.checkShown(file, seqLine(root, "hints", i)+1, h)
	}
	l.attempts(file, root, dir, sf.Attempts, s)
	l.kindRules(file, line, s)
	l.action(file, line("action"), s)
	if s.Main != "" && !safeRel(s.Main) {
		l.ps.add(file, line("main"), "main %q must be a relative path inside the step folder", s.Main)
	} else if s.Main != "" && !slices.Contains(s.Starter.List, s.Main) && !slices.Contains(s.Solution.List, s.Main) {
		l.ps.add(file, line("main"), "main %q is not among the starter or solution files of %s", s.Main, dir)
	}
	if s.Image != "" {
		l.imageRef(file, line("image"), s.Image)
	}
	l.unusedFolders(dir, file, s)
	return s
}

// unusedFolders reports the folders of a step that nothing uses: a typo
// in a folder name, or a pack-context folder no build names.
func (l *loader) unusedFolders(dir, file string, s *Step) {
	used := map[string]bool{StarterDir: true, SolutionDir: true, AttemptsDir: true}
	for _, a := range append([]*Action{s.Action}, attemptActions(s)...) {
		if a != nil && a.Build != nil && a.Build.PackContext != "" {
			used[a.Build.PackContext] = true
		}
	}
	entries, _ := fs.ReadDir(l.fsys, dir)
	for _, e := range entries {
		if e.IsDir() && !used[e.Name()] {
			l.ps.add(path.Join(dir, e.Name()), 0, "folder is not used: a step has %s/, %s/, %s/ and the folders its builds name in pack-context: (%s)", StarterDir, SolutionDir, AttemptsDir, file)
		}
	}
}

func attemptActions(s *Step) []*Action {
	var out []*Action
	for _, a := range s.Attempts {
		out = append(out, a.Action)
	}
	return out
}

func (l *loader) imageRef(file string, line int, ref string) {
	if strings.Contains(ref, "{{") {
		l.checkTemplate(file, line, ref)
		return
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		l.ps.add(file, line, "image %q is not a valid image name: %v", ref, err)
	}
}

func (l *loader) kindRules(file string, line func(string) int, s *Step) {
	has := func(t string) bool {
		for _, c := range s.Checks {
			if c.Type == t {
				return true
			}
		}
		return false
	}
	switch s.Kind {
	case KindRead:
		if len(s.Checks) > 0 {
			l.ps.add(file, line("checks"), "a read step has no checks: make it an exercise, quiz or answer step")
		}
	case KindQuiz:
		l.quiz(file, line("quiz"), s.Quiz)
		if !has("answer.choice") {
			s.Checks = append(s.Checks, Check{ID: "answer", Type: "answer.choice", Spec: &AnswerChoice{}})
		}
	case KindAnswer:
		switch {
		case s.Answer == nil:
			l.ps.add(file, line("kind"), "an answer step needs answer: {expect: secret} or {expect: text, value: ...}")
		case s.Answer.Expect == "secret":
		case s.Answer.Expect == "text":
			if strings.TrimSpace(s.Answer.Value) == "" {
				l.ps.add(file, line("answer"), "answer.value is required when expect is text")
			}
			l.checkTemplate(file, line("answer"), s.Answer.Value)
		case s.Answer.Expect == ExpectValues:
			l.answerParts(file, line("answer"), s)
		default:
			l.ps.add(file, line("answer"), "answer.expect %q: use secret, text or values", s.Answer.Expect)
		}
		if s.Answer != nil {
			l.checkShown(file, line("answer"), s.Answer.Prompt)
			if s.Answer.Expect != ExpectValues && len(s.Answer.Values) > 0 {
				l.ps.add(file, line("answer"), "answer.values is only for expect: values")
			}
		}
		if !has("answer.value") && (s.Answer == nil || s.Answer.Expect != ExpectValues) {
			s.Checks = append(s.Checks, Check{ID: "answer", Type: "answer.value", Spec: &AnswerValue{}})
		}
		if len(s.Attempts) > 0 || s.Answer != nil && s.Answer.Expect == ExpectValues {
			l.everyCheckFails(file, line, s)
		}
	case KindExercise:
		if len(s.Checks) == 0 {
			l.ps.add(file, line("kind"), "an exercise needs checks: say what must hold when it is done")
		}
		if s.Solution.Empty() && s.Action == nil {
			l.ps.add(file, line("kind"), "an exercise needs a reference solution: a %s/ folder, or an action that produces the result", SolutionDir)
		}
		l.everyCheckFails(file, line, s)
		l.boundToTheStep(file, s)
	case "":
		l.ps.add(file, line("kind"), "kind is required: read, quiz, answer or exercise")
	default:
		l.ps.add(file, line("kind"), "kind %q: use read, quiz, answer or exercise", s.Kind)
	}
	if s.Kind != KindQuiz && s.Quiz != nil {
		l.ps.add(file, line("quiz"), "quiz is only for kind: quiz")
	}
	if s.Kind != KindAnswer && s.Answer != nil {
		l.ps.add(file, line("answer"), "answer is only for kind: answer")
	}
	if s.Kind != KindExercise && s.Kind != KindAnswer && len(s.Attempts) > 0 {
		l.ps.add(file, line("attempts"), "attempts are only for exercises and answer steps")
	}
}

// everyCheckFails holds a step to must-fail attempts that fail each of
// its checks.
func (l *loader) everyCheckFails(file string, line func(string) int, s *Step) {
	if len(s.Attempts) == 0 {
		what := map[Kind]string{KindExercise: "an exercise", KindAnswer: "an answer step"}[s.Kind]
		l.ps.add(file, line("kind"), "%s needs must-fail attempts (attempts:), each naming the checks it fails", what)
	}
	for _, c := range s.Checks {
		if !attemptsFail(s.Attempts, c.ID) {
			at := c.Line
			if at == 0 {
				at = line("answer")
			}
			l.ps.add(file, at, "check %q is failed by no attempt: add a must-fail attempt that proves it can fail", c.ID)
		}
	}
}

func joinFoundIn() string {
	s := make([]string, len(FoundInPlaces))
	for i, f := range FoundInPlaces {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// answerParts checks the values of an `expect: values` answer and gives
// each its answer.value check.
func (l *loader) answerParts(file string, at int, s *Step) {
	if len(s.Answer.Values) == 0 {
		l.ps.add(file, at, "answer.values is empty: list the values the learner must find (id, name, value, where)")
	}
	if s.Answer.Value != "" {
		l.ps.add(file, at, "answer.value is for expect: text; with expect: values each value goes in answer.values")
	}
	for i, p := range s.Answer.Values {
		if !idPattern.MatchString(p.ID) {
			l.ps.add(file, at, "answer value %d: id %q: use a short lower-case id such as history-token; it names the value's check", i+1, p.ID)
			continue
		}
		if _, dup := s.Check(p.ID); dup {
			l.ps.add(file, at, "answer value id %q is already a check of this step", p.ID)
			continue
		}
		for field, v := range map[string]string{"name": p.Name, "value": p.Value, "where": p.Where} {
			if strings.TrimSpace(v) == "" {
				l.ps.add(file, at, "answer value %q: %s is required", p.ID, field)
			}
		}
		// The name is shown while the value is missing; the value and
		// where it is only once found or once the solution is asked for.
		l.checkShown(file, at, p.Name)
		l.checkTemplate(file, at, p.Value)
		l.checkTemplate(file, at, p.Where)
		if p.FoundIn != "" && !slices.Contains(FoundInPlaces, p.FoundIn) {
			l.ps.add(file, at, "answer value %q: found-in %q: use %s", p.ID, p.FoundIn, joinFoundIn())
		}
		if x, err := Expand(p.Value, SampleValues()); err == nil && len(parseParts(x)) > 1 {
			l.ps.add(file, at, "answer value %q: %q is typed as one word among the others, so it cannot hold spaces, commas or semicolons", p.ID, x)
		}
		// The value's name is the check's title: the instructor's room
		// names the value still missing, not the type's summary twice.
		s.Checks = append(s.Checks, Check{ID: p.ID, Title: p.Name, Type: "answer.value", Spec: &AnswerValue{Of: p.ID}, Line: at})
	}
}

// boundToTheStep requires every check that reads an image from the daemon
// to be bound to this step: an image.fresh check of the same image in the
// step (the container checks and trivy.report bind themselves). Without
// it an image built before the step opened, or left by another learner or
// an earlier step, passes with nothing done.
func (l *loader) boundToTheStep(file string, s *Step) {
	about := func(c Check) string {
		t, ok := LookupCheckType(c.Type)
		if !ok {
			return ""
		}
		imgs := t.images(c.Spec)
		if len(imgs) == 0 {
			return ""
		}
		name := *imgs[0]
		if name == "" {
			name = s.Image
		}
		v := SampleValues()
		v.Image = s.Image
		if x, err := Expand(name, v); err == nil {
			name = x
		}
		return name
	}
	fresh := map[string]bool{}
	for _, c := range s.Checks {
		if _, ok := c.Spec.(*ImageFresh); ok {
			fresh[about(c)] = true
		}
	}
	for _, c := range s.Checks {
		if _, binds := c.Spec.(bindsToTheStep); binds || c.Daemon() == DaemonNone {
			continue
		}
		if img := about(c); img != "" && !fresh[img] {
			l.ps.add(file, c.Line, "check %q reads the image %s, but nothing binds it to this step: add an image.fresh check of %s, so that an image built before the step opened cannot pass", c.ID, img, img)
		}
	}
}

func attemptsFail(as []Attempt, check string) bool {
	for _, a := range as {
		if slices.Contains(a.Fails, check) {
			return true
		}
	}
	return false
}

func (l *loader) quiz(file string, line int, q *Quiz) {
	if q == nil {
		l.ps.add(file, line, "a quiz step needs quiz: with choices")
		return
	}
	if len(q.Choices) < 2 {
		l.ps.add(file, line, "a quiz needs at least two choices")
	}
	ids := map[string]bool{}
	correct := 0
	for i, ch := range q.Choices {
		if !idPattern.MatchString(ch.ID) {
			l.ps.add(file, line, "choice %d: id %q: use a short lower-case id such as a, b or pinned", i+1, ch.ID)
		}
		if ids[ch.ID] {
			l.ps.add(file, line, "choice id %q is used twice", ch.ID)
		}
		ids[ch.ID] = true
		if strings.TrimSpace(ch.Text) == "" {
			l.ps.add(file, line, "choice %q has no text", ch.ID)
		}
		if ch.Correct {
			correct++
		}
	}
	if correct == 0 {
		l.ps.add(file, line, "no choice is marked correct: true")
	}
	if !q.Multiple && correct > 1 {
		l.ps.add(file, line, "%d choices are correct but multiple is not set: set multiple: true or keep one", correct)
	}
}

func (l *loader) action(file string, line int, s *Step) {
	a := s.Action
	if a == nil {
		return
	}
	if a.Build == nil && a.Run == nil {
		l.ps.add(file, line, "an action needs build:, run:, or both (build, then run the image)")
		return
	}
	if b := a.Build; b != nil {
		if b.Tag == "" && s.Image == "" {
			l.ps.add(file, line, "the build needs a tag: set the step's image: or build.tag")
		}
		switch b.Builder {
		case BuilderAuto, BuilderBuildKit, BuilderClassic:
		default:
			l.ps.add(file, line, "builder %q: use buildkit or classic, or leave it out for either", b.Builder)
		}
		if b.Dockerfile != "" && !safeRel(b.Dockerfile) {
			l.ps.add(file, line, "dockerfile %q must be a relative path inside the step folder", b.Dockerfile)
		}
		if len(b.Secrets) > 0 && b.Builder == BuilderClassic {
			l.ps.add(file, line, "build secrets need BuildKit: drop builder: classic")
		}
		if b.PackContext != "" {
			l.packContext(file, line, s.Dir, b)
		}
		// The command shown for a build names its arguments' and secrets'
		// values, except in a pack-context build, which is someone else's.
		check := l.checkShown
		if b.PackContext != "" {
			check = l.checkTemplate
		}
		for _, v := range b.Args {
			check(file, line, v)
		}
		for _, v := range b.Secrets {
			check(file, line, v)
		}
		l.checkShown(file, line, b.Tag)
	}
	if r := a.Run; r != nil {
		if r.Image == "" && s.Image == "" {
			l.ps.add(file, line, "the run needs an image: set the step's image: or run.image")
		}
		l.checkShown(file, line, r.Image)
		for _, v := range r.Env {
			l.checkShown(file, line, v)
		}
	}
}

func (l *loader) check(file string, n *yaml.Node, s *Step) (Check, bool) {
	if n.Kind != yaml.MappingNode {
		l.ps.add(file, n.Line+1, "a check is a mapping with id:, type: and its fields")
		return Check{}, false
	}
	var head struct {
		ID    string `yaml:"id"`
		Type  string `yaml:"type"`
		Title string `yaml:"title"`
	}
	_ = n.Decode(&head)
	line := n.Line + 1
	if !idPattern.MatchString(head.ID) {
		l.ps.add(file, line, "check id %q: give each check a short id such as final-clean", head.ID)
	}
	if _, dup := s.Check(head.ID); dup {
		l.ps.add(file, line, "check id %q is used twice in this step", head.ID)
	}
	ct, ok := LookupCheckType(head.Type)
	if !ok {
		l.ps.add(file, keyLine(n, "type", 1), "unknown check type %q%s", head.Type, suggest(head.Type, checkTypeNames()))
		return Check{}, false
	}
	spec := ct.new()
	decodeStrict(file, 1, n, spec, &l.ps, "id", "type", "title")
	for _, msg := range spec.validate() {
		l.ps.add(file, line, "check %q (%s): %s", head.ID, head.Type, msg)
	}
	for _, f := range templatedFields(spec) {
		l.checkTemplate(file, line, f)
	}
	if strings.ContainsAny(head.Title, "\n\r") || len(head.Title) > maxCheckTitle {
		l.ps.add(file, keyLine(n, "title", 1), "check %q: a title is one line of at most %d characters", head.ID, maxCheckTitle)
	}
	if strings.TrimSpace(head.Title) == "" {
		l.warnings.add(file, line, "check %q has no title: the class dashboard will name it by its type's summary: %s", head.ID, ct.Summary)
	}
	return Check{ID: head.ID, Type: head.Type, Title: head.Title, Spec: spec, Line: line}, true
}

// maxCheckTitle keeps a check's title to what fits a dashboard's cell.
const maxCheckTitle = 80

func (l *loader) attempts(file string, root *yaml.Node, dir string, afs []attemptFile, s *Step) {
	names := map[string]bool{}
	for i, af := range afs {
		at := seqLine(root, "attempts", i) + 1
		if !idPattern.MatchString(af.Name) {
			l.ps.add(file, at, "attempt name %q: use lower-case letters, digits and dashes; its files go in %s/<name>/", af.Name, AttemptsDir)
			continue
		}
		if names[af.Name] {
			l.ps.add(file, at, "attempt %q is declared twice", af.Name)
			continue
		}
		names[af.Name] = true
		if len(af.Fails) == 0 {
			l.ps.add(file, at, "attempt %q names no check in fails:", af.Name)
		}
		for _, f := range af.Fails {
			// An answer's values become checks later, in kindRules.
			if _, part := s.Answer.Part(f); part && s.Kind == KindAnswer {
				continue
			}
			if _, ok := s.Check(f); !ok {
				l.ps.add(file, at, "attempt %q fails %q, which is not a check of this step", af.Name, f)
			}
		}
		if af.Action != nil && af.NoAction {
			l.ps.add(file, at, "attempt %q has both action: and no-action: pick one", af.Name)
		}
		if af.Answer != nil && s.Kind != KindAnswer {
			l.ps.add(file, at, "attempt %q: answer: is for the attempts of answer steps", af.Name)
		}
		if af.Answer != nil {
			l.checkTemplate(file, at, *af.Answer)
		}
		if s.Kind == KindAnswer && (af.Action != nil || af.NoAction) {
			l.ps.add(file, at, "attempt %q: an answer step's attempt is only what it types (answer:), with no action of its own", af.Name)
		}
		files := l.files(file, dir, path.Join(AttemptsDir, af.Name))
		if s.Kind == KindAnswer && !files.Empty() {
			l.ps.add(path.Join(dir, AttemptsDir, af.Name), 0, "an answer step's attempt has no files: it is what the learner types (answer:)")
		}
		a := Attempt{Name: af.Name, Why: af.Why, Fails: af.Fails, Files: files, Action: af.Action, NoAction: af.NoAction, Answer: af.Answer}
		if af.Action != nil {
			// Validate the override as if it were the step's own action.
			l.action(file, at, &Step{ID: s.ID, Image: s.Image, Action: af.Action, Dir: dir})
		}
		s.Attempts = append(s.Attempts, a)
	}
	// A folder under attempts/ that no attempt declares is a typo waiting to confuse.
	entries, _ := fs.ReadDir(l.fsys, path.Join(dir, AttemptsDir))
	for _, e := range entries {
		if e.IsDir() && !names[e.Name()] {
			l.ps.add(path.Join(dir, AttemptsDir, e.Name()), 0, "folder is not declared under attempts: in %s", file)
		}
	}
}

// files lists a step sub-folder laid out in the learner's step folder,
// refusing what could leave the workspace when laid out (symbolic links
// and special files) and templates that would show a hidden value.
func (l *loader) files(file, stepDir, sub string) Files {
	return l.filesWith(file, stepDir, sub, SampleValues().Shown())
}

// filesWith lists a step sub-folder whose templates are filled with
// values like v.
func (l *loader) filesWith(file, stepDir, sub string, v Values) Files {
	dir := path.Join(stepDir, sub)
	fi, err := fs.Stat(l.fsys, dir)
	if err != nil {
		return Files{fsys: l.fsys}
	}
	if !fi.IsDir() {
		l.ps.add(dir, 0, "must be a folder of files")
		return Files{fsys: l.fsys}
	}
	_ = fs.WalkDir(l.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.ps.add(p, 0, "cannot read: %v", unwrapPathError(err))
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			l.ps.add(p, 0, "symbolic links are not allowed in a course pack: copy the file instead")
		} else if !d.IsDir() && !d.Type().IsRegular() {
			l.ps.add(p, 0, "only regular files are allowed in a course pack")
		}
		return nil
	})
	files, err := listFiles(l.fsys, dir)
	if err != nil {
		l.ps.add(dir, 0, "cannot list: %v", unwrapPathError(err))
	}
	for _, f := range files.List {
		if strings.HasSuffix(f, TemplateSuffix) {
			data, _ := files.Read(f)
			if _, err := template.New(f).Option("missingkey=error").Parse(string(data)); err != nil {
				l.ps = append(l.ps, templateProblem(path.Join(dir, f), 1, err))
			} else if _, err := Expand(string(data), v); err != nil {
				l.ps = append(l.ps, templateProblem(path.Join(dir, f), 1, err))
			}
		}
	}
	return files
}

func (l *loader) checkTemplate(file string, line int, text string) {
	if !strings.Contains(text, "{{") {
		return
	}
	if _, err := Expand(text, SampleValues()); err != nil {
		l.ps = append(l.ps, templateProblem(file, line, err))
	}
}

// checkShown checks a template the learner reads before finding the
// hidden values: it may not use them.
func (l *loader) checkShown(file string, line int, text string) {
	if !strings.Contains(text, "{{") {
		return
	}
	if _, err := Expand(text, SampleValues().Shown()); err != nil {
		l.ps = append(l.ps, templateProblem(file, line, err))
	}
}

// packContext checks a build's pack-context: a folder of the step beside
// starter/, solution/ and attempts/, and lists its files into the action.
func (l *loader) packContext(file string, line int, stepDir string, b *BuildAction) {
	switch {
	case !safeName(b.PackContext):
		l.ps.add(file, line, "pack-context %q must be the name of a folder in the step's folder (no slashes, no ..)", b.PackContext)
		return
	case b.PackContext == StarterDir || b.PackContext == SolutionDir || b.PackContext == AttemptsDir:
		l.ps.add(file, line, "pack-context %q: the %s/, %s/ and %s/ folders are the learner's; name a folder of its own, such as teammate", b.PackContext, StarterDir, SolutionDir, AttemptsDir)
		return
	}
	if fi, err := fs.Stat(l.fsys, path.Join(stepDir, b.PackContext)); err != nil || !fi.IsDir() {
		l.ps.add(file, line, "pack-context %q: there is no folder %s", b.PackContext, path.Join(stepDir, b.PackContext))
		return
	}
	b.Context = l.filesWith(file, stepDir, b.PackContext, SampleValues())
	dockerfile := cmp.Or(b.Dockerfile, "Dockerfile")
	if !slices.Contains(b.Context.List, dockerfile) && !slices.Contains(b.Context.List, dockerfile+TemplateSuffix) {
		l.ps.add(file, line, "pack-context %q has no %s", b.PackContext, dockerfile)
	}
}

func keyLine(m *yaml.Node, key string, offset int) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line + offset
		}
	}
	return m.Line + offset
}

func seqLine(m *yaml.Node, key string, i int) int {
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			if seq := m.Content[j+1]; seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
				return seq.Content[i].Line
			}
			return m.Content[j].Line
		}
	}
	return m.Line
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	}
	return "something else"
}

func safeName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`)
}

// safeRel reports whether p is a relative slash path that stays inside
// its folder.
func safeRel(p string) bool {
	if p == "" || strings.Contains(p, `\`) || path.IsAbs(p) || strings.Contains(p, ":") {
		return false
	}
	c := path.Clean(p)
	return c != ".." && !strings.HasPrefix(c, "../") && c != "."
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkBaseImage holds an images: entry to its form: a tag that names a
// release, and a digest pin beside it (a warning when missing: the pack
// works online, but prepare cannot verify what it pulls, and an offline
// lab cannot know it has the right release).
func (l *loader) checkBaseImage(img BaseImage, line int) {
	named, err := reference.ParseNormalizedNamed(img.Ref)
	if err != nil {
		l.ps.add(ManifestFile, line, "image %q is not a valid reference: %v", img.Ref, err)
		return
	}
	if _, ok := named.(reference.Digested); ok {
		l.ps.add(ManifestFile, line, "image %q: write the digest in its own field: ref: %s, digest: %s", img.Ref, reference.FamiliarName(named)+tagOf(named), named.(reference.Digested).Digest())
		return
	}
	if _, ok := named.(reference.Tagged); !ok {
		l.ps.add(ManifestFile, line, "image %q has no tag: name the release the course was proven with, such as %s:3.22", img.Ref, reference.FamiliarName(named))
	}
	switch {
	case img.Digest == "":
		l.warnings.add(ManifestFile, line, "image %q has no digest pin: prepare cannot verify what it pulls; add digest: sha256:… (docker buildx imagetools inspect %s shows it)", img.Ref, img.Ref)
	case !digestPattern.MatchString(img.Digest):
		l.ps.add(ManifestFile, line, "image %q: digest %q is not a repository digest: write sha256: and 64 lower-case hex digits", img.Ref, img.Digest)
	}
}

// tagOf is ":tag" of a named reference, or "".
func tagOf(named reference.Named) string {
	if t, ok := named.(reference.Tagged); ok {
		return ":" + t.Tag()
	}
	return ""
}
