package lessons

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"text/template"
)

// Values are the learner's own values that fill a step's text and specs.
type Values struct {
	// hiddenKey keys the learner's hidden values (Hidden); empty in the
	// values of what the learner reads first (Shown).
	hiddenKey string

	Secret    string // the learner's canary secret
	Workdir   string // the step's folder in the workspace
	Workspace string // the workspace root
	Image     string // the step's image name
	Step      string // the step id
	Course    string // the course id
	// Learner is the learner's id, the name of their namespace: it goes
	// into the names of the Docker objects a step has the learner create
	// by hand (docker run --name {{.Learner}}-tokenapp), as the tutor
	// puts it into the names of its own.
	Learner string

	// names maps the image names the step's action and checks use into
	// the learner's namespace; unexported, so templates do not see it.
	names imageNames
	// imageIDs looks up a local image's ID for {{.ImageID "ref"}}.
	imageIDs func(ref string) (string, error)
}

// imageNames is how Values map image names: into a namespace, except the
// course's shared base images.
type imageNames struct {
	ns     Namespace
	course *Course
}

// Learner is whose values fill a step: their canary, their workspace
// root, and the namespace their Docker objects live in.
type Learner struct {
	Secret    string
	Workspace string
	Namespace Namespace
	// ImageIDs, when set, answers {{.ImageID "ref"}} from the daemon (an
	// attempt that uses an image ID where a digest belongs).
	ImageIDs func(ref string) (string, error)
}

// Values are the learner's values for a step of the course: the step's
// folder in their workspace and its image in their namespace.
func (c *Course) Values(st *Step, l Learner) Values {
	v := Values{
		Secret: l.Secret, Workdir: c.StepDir(l.Workspace, st), Workspace: l.Workspace,
		Step: st.ID, Course: c.ID, Learner: l.Namespace.String(), names: imageNames{ns: l.Namespace, course: c},
		imageIDs: l.ImageIDs,
	}
	v.Image = v.ImageName(st.Image)
	v.hiddenKey = l.Secret
	return v
}

// StepDir is the step's folder under a workspace root:
// <root>/<course>/<lesson>/<step>.
func (c *Course) StepDir(root string, st *Step) string {
	return filepath.Join(root, c.ID, st.Lesson.ID, st.ID)
}

// ImageName is the name an image the course names has on the daemon for
// this learner: in their namespace, unless it is one of the course's
// shared base images. "" stays "".
func (v Values) ImageName(name string) string {
	if name == "" || v.names.course != nil && v.names.course.SharedImage(name) {
		return name
	}
	return v.names.ns.Image(name)
}

// Namespace is the namespace the learner's Docker objects live in.
func (v Values) Namespace() Namespace { return v.names.ns }

// SampleValues stand in for a learner's values when a pack is linted.
func SampleValues() Values {
	return Values{
		hiddenKey: "canary-0123456789",
		Secret:    "canary-0123456789",
		Workdir:   "/home/learner/dockertutor/course/lesson/step",
		Workspace: "/home/learner/dockertutor",
		Image:     "dockertutor/example",
		Step:      "step",
		Course:    "course",
		Learner:   "learner-0a1b2c",
	}
}

// Expand fills a template string with the values.
func Expand(text string, v Values) (string, error) {
	return expandNamed("text", text, v)
}

func expandNamed(name, text string, v Values) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Render fills the step's markdown with the learner's values; hidden
// values are never shown there.
func (s *Step) Render(v Values) (string, error) {
	v = v.Shown()
	if v.Image == "" {
		v.Image = s.Image
	}
	if v.Step == "" {
		v.Step = s.ID
	}
	return expandNamed(s.ID, s.Text, v)
}

var templateLine = regexp.MustCompile(`^template: [^:]*:(\d+):(?:\d+:)? ?`)

// templateProblem turns a template error into a problem at the file line,
// given the line where the template text starts.
func templateProblem(file string, startLine int, err error) Problem {
	msg := err.Error()
	line := startLine
	if sm := templateLine.FindStringSubmatch(msg); sm != nil {
		n, _ := strconv.Atoi(sm[1])
		line = startLine + n - 1
		msg = msg[len(sm[0]):]
	}
	return Problem{File: file, Line: line, Message: fmt.Sprintf("template: %s (values are %s, %s)", msg, valueNames, hiddenValueName)}
}

const valueNames = "{{.Secret}}, {{.Workdir}}, {{.Workspace}}, {{.Image}}, {{.Step}}, {{.Course}}, {{.Learner}}"

// TemplateSuffix marks a starter, solution or attempt file whose content
// is filled with the learner's values when laid out; the suffix is dropped.
const TemplateSuffix = ".tmpl"

// templatedFields returns the string fields of a check spec, all of which
// may hold templates.
func templatedFields(spec CheckSpec) []string {
	var out []string
	v := reflect.ValueOf(spec).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.String {
			out = append(out, f.String())
		}
	}
	return out
}

// ExpandSpec returns a copy of a check spec with every string field
// filled with the values, an empty image the check is about set to the
// step's image, and every image it names in the learner's namespace
// (Values.ImageName).
func ExpandSpec(spec CheckSpec, v Values) (CheckSpec, error) {
	src := reflect.ValueOf(spec).Elem()
	dst := reflect.New(src.Type())
	dst.Elem().Set(src)
	out := dst.Interface().(CheckSpec)
	var images []*string // the copy's fields that name images
	if t, ok := TypeOfSpec(out); ok {
		images = t.images(out)
	}
	if len(images) > 0 && *images[0] == "" {
		*images[0] = v.Image
	}
	for i := 0; i < src.NumField(); i++ {
		f := dst.Elem().Field(i)
		if f.Kind() != reflect.String {
			continue
		}
		x, err := Expand(f.String(), v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.Type().Field(i).Name, err)
		}
		f.SetString(x)
	}
	for _, name := range images {
		if *name != "" {
			*name = v.ImageName(*name)
		}
	}
	return out, nil
}
