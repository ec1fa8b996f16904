// Package report is the machine-readable output of dockertutor: the
// documents its commands print with --json, as Go types, and the one
// writer and reader of them. FORMATS.md at the repository's root describes
// each format field by field.
//
// Every document opens with its format name and version, such as
// "dockertutor.check/1". A version changes only when a field is removed or
// changes meaning; new fields may appear within a version, so a reader
// ignores fields it does not know. The package imports nothing of the
// tutor, so a class server or an exporter can read the documents without
// the Docker client.
package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// The formats and their versions.
const (
	ListFormat   = "dockertutor.list/1"
	CheckFormat  = "dockertutor.check/1"
	DoctorFormat = "dockertutor.doctor/1"
	ScanFormat   = "dockertutor.scan/1"
	LintFormat   = "dockertutor.lint/1"
	ProveFormat  = "dockertutor.prove/1"
)

// Document is one of the formats of this package.
type Document interface {
	// FormatName is the format and version the document is written in.
	FormatName() string
	// stamp sets the document's format field; only this package's types
	// are documents, so every document written carries its name.
	stamp()
}

// Write writes doc as indented JSON, UTF-8 with no HTML escaping (excerpts
// of Dockerfiles keep their < > &), stamped with its format name.
func Write(w io.Writer, doc Document) error {
	doc.stamp()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// Read decodes one document into doc and refuses a document of another
// format or version, so that a reader never takes a document it does not
// understand for one it does.
func Read(r io.Reader, doc Document) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var header struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &header); err != nil {
		return fmt.Errorf("reading a %s document: %w", doc.FormatName(), err)
	}
	if header.Format != doc.FormatName() {
		return fmt.Errorf("not a %s document: its format is %q", doc.FormatName(), header.Format)
	}
	return json.Unmarshal(data, doc)
}

func (*List) FormatName() string   { return ListFormat }
func (*Check) FormatName() string  { return CheckFormat }
func (*Doctor) FormatName() string { return DoctorFormat }
func (*Scan) FormatName() string   { return ScanFormat }
func (*Lint) FormatName() string   { return LintFormat }
func (*Prove) FormatName() string  { return ProveFormat }

func (d *List) stamp()   { d.Format = ListFormat }
func (d *Check) stamp()  { d.Format = CheckFormat }
func (d *Doctor) stamp() { d.Format = DoctorFormat }
func (d *Scan) stamp()   { d.Format = ScanFormat }
func (d *Lint) stamp()   { d.Format = LintFormat }
func (d *Prove) stamp()  { d.Format = ProveFormat }

// List is `dockertutor list --json`: the course outline with the
// learner's status in each step.
type List struct {
	Format       string `json:"format"`
	Course       string `json:"course"`
	Title        string `json:"title"`
	Workspace    string `json:"workspace"`
	ProgressFile string `json:"progress_file"`
	// Learner is the learner id, the namespace of their Docker objects.
	Learner string   `json:"learner"`
	Passed  int      `json:"passed"`
	Total   int      `json:"total"`
	Lessons []Lesson `json:"lessons"`
}

// Lesson is one lesson of the outline.
type Lesson struct {
	ID     string `json:"id"`
	Number int    `json:"number"`
	Title  string `json:"title"`
	Steps  []Step `json:"steps"`
}

// Step is one step of the outline.
type Step struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Title  string `json:"title"`
	// Kind is "read", "quiz", "answer" or "exercise".
	Kind string `json:"kind"`
	// Status is "not-started", "started", "failed", "passed" or
	// "skipped" (an optional step left out: done, not passed).
	Status   string `json:"status"`
	Optional bool   `json:"optional,omitempty"`
	// Current marks the step the tutor resumes at.
	Current bool   `json:"current,omitempty"`
	Workdir string `json:"workdir"`
}

// Step statuses.
const (
	StatusNotStarted = "not-started"
	StatusStarted    = "started"
	StatusFailed     = "failed"
	StatusPassed     = "passed"
	StatusSkipped    = "skipped"
)

// Check is `dockertutor check --json`: the verdict of each step checked.
type Check struct {
	Format string    `json:"format"`
	Steps  []Verdict `json:"steps"`
}

// Verdict is the verdict of one step.
type Verdict struct {
	Step   string `json:"step"`
	Passed bool   `json:"passed"`
	// Unreachable says Docker could not be asked: the verdict proves
	// nothing either way and was not recorded.
	Unreachable bool     `json:"unreachable,omitempty"`
	Checks      []Result `json:"checks"`
	DurationNS  int64    `json:"duration_ns"`
}

// Result is the outcome of one check of a step.
type Result struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Outcome is "passed", "failed" or "error" (the check could not be
	// made: neither a pass nor the learner's fault).
	Outcome  string     `json:"outcome"`
	Message  string     `json:"message"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Check outcomes.
const (
	OutcomePassed = "passed"
	OutcomeFailed = "failed"
	OutcomeError  = "error"
)

// Evidence is one place a check looked and what it saw there.
type Evidence struct {
	Where  string `json:"where"`
	Detail string `json:"detail"`
}

// Doctor is `dockertutor doctor --json`: where Docker is, whether it
// answers, why not and how to fix it, and what it can do.
type Doctor struct {
	Format    string   `json:"format"`
	Endpoint  Endpoint `json:"endpoint"`
	Reachable bool     `json:"reachable"`
	// Problems come most serious first; when Reachable is false the
	// first says why.
	Problems []Problem `json:"problems"`
	// Candidates are other endpoints found on this machine, listed only
	// when the daemon is not reachable.
	Candidates []Candidate `json:"candidates,omitempty"`
	Server     *Server     `json:"server,omitempty"`
	Images     []Image     `json:"images,omitempty"`
	// DockerBuild is what the learner's own `docker build` runs.
	DockerBuild DockerBuild `json:"docker_build"`
	// ClientOS is the OS the report was made on: "linux", "darwin" or
	// "windows".
	ClientOS string `json:"client_os"`
}

// Endpoint is where the Docker daemon is expected and how that was decided.
type Endpoint struct {
	Host   string `json:"host"`
	Source string `json:"source"`
	// Origin is "DOCKER_HOST", "DOCKER_CONTEXT", "config" or "default".
	Origin     string   `json:"origin"`
	Context    string   `json:"context"`
	ConfigFile string   `json:"config_file,omitempty"`
	MetaFile   string   `json:"meta_file,omitempty"`
	TLS        *TLS     `json:"tls,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

// TLS is the TLS material of a tcp endpoint.
type TLS struct {
	CAFile     string `json:"ca_file,omitempty"`
	CertFile   string `json:"cert_file,omitempty"`
	KeyFile    string `json:"key_file,omitempty"`
	SkipVerify bool   `json:"skip_verify"`
}

// Problem is one thing the doctor found, with the fixes for each OS.
type Problem struct {
	Class string `json:"class"`
	// Severity is "error" (the exercises cannot run) or "warning".
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Detail   string `json:"detail,omitempty"`
	// Fixes maps "linux", "darwin" and "windows" to steps, most likely first.
	Fixes map[string][]Fix `json:"fixes,omitempty"`
}

// Fix is one step of a fix: what to do, and the command to type if any.
type Fix struct {
	Text    string `json:"text"`
	Command string `json:"command,omitempty"`
}

// Candidate is another Docker endpoint found on this machine.
type Candidate struct {
	Host    string `json:"host"`
	What    string `json:"what"`
	Answers bool   `json:"answers"`
	Use     string `json:"use"`
}

// Server describes a daemon that answered.
type Server struct {
	Product         string   `json:"product,omitempty"`
	Version         string   `json:"version"`
	OS              string   `json:"os"`
	Arch            string   `json:"arch"`
	OperatingSystem string   `json:"operating_system,omitempty"`
	API             API      `json:"api"`
	Builders        Builders `json:"builders"`
	StorageDriver   string   `json:"storage_driver"`
	// ImageStore is "containerd" or "graphdriver".
	ImageStore string `json:"image_store"`
	Rootless   bool   `json:"rootless"`
}

// API is the Engine API versions in play.
type API struct {
	Negotiated string `json:"negotiated"`
	ServerMin  string `json:"server_min,omitempty"`
	ServerMax  string `json:"server_max,omitempty"`
}

// Builders says how images can be built through the API.
type Builders struct {
	BuildKit bool `json:"buildkit"`
	Classic  bool `json:"classic"`
	// Default is "buildkit", "classic", or empty when the daemon does
	// not say.
	Default string `json:"default,omitempty"`
	Basis   string `json:"basis"`
}

// DockerBuild is what `docker build`, typed in the learner's terminal,
// runs; the tutor's own builds use BuildKit through the API whatever it is.
type DockerBuild struct {
	// Builder is "buildkit" (the buildx plugin), "legacy" (the legacy
	// builder: --secret is an unknown flag), "broken" (docker build
	// refuses to start) or "none" (no docker CLI on the PATH).
	Builder       string `json:"builder"`
	CLI           string `json:"cli,omitempty"`
	Plugin        string `json:"plugin,omitempty"`
	PluginVersion string `json:"plugin_version,omitempty"`
	Basis         string `json:"basis"`
}

// Image is whether a base image the course needs is on the daemon, and
// at the digest the course pins.
type Image struct {
	Ref string `json:"ref"`
	// Digest is the repository digest the course pins; empty when the
	// pack pins none.
	Digest string `json:"digest,omitempty"`
	// State is exercises/pins's: "pinned", "present", "other-digest",
	// "missing" or "unknown".
	State string `json:"state"`
	// Present says the tag is on the daemon, at whatever digest.
	Present     bool     `json:"present"`
	ID          string   `json:"id,omitempty"`
	RepoDigests []string `json:"repo_digests,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// Scan is `dockertutor scan --json`: where a known secret is in an image.
// The secret itself is never in it, only excerpts cut to its first
// characters.
type Scan struct {
	Format  string `json:"format"`
	Image   string `json:"image"`
	ImageID string `json:"image_id"`
	// Found says the secret is somewhere in the image; Complete that
	// every part of it could be searched (without it, not found proves
	// nothing).
	Found    bool `json:"found"`
	Complete bool `json:"complete"`
	// Encodings are the forms of the secret searched for: "plain",
	// "base64", "base64url", "hex", …
	Encodings          []string  `json:"encodings"`
	Layers             int       `json:"layers"`
	Findings           []Finding `json:"findings"`
	Omitted            int       `json:"omitted,omitempty"`
	RepeatedInMetadata int       `json:"repeated_in_metadata,omitempty"`
	Problems           []string  `json:"problems,omitempty"`
}

// Finding is one place holding the secret in one encoding.
type Finding struct {
	// Source is "history", "inspect", "layer" or "export".
	Source   string        `json:"source"`
	Encoding string        `json:"encoding"`
	Count    int           `json:"count"`
	Excerpt  string        `json:"excerpt"`
	Field    string        `json:"field,omitempty"`
	History  *HistoryEntry `json:"history,omitempty"`
	Layer    *LayerFile    `json:"layer,omitempty"`
	File     string        `json:"file,omitempty"`
}

// HistoryEntry identifies an image history entry.
type HistoryEntry struct {
	Index     int    `json:"index"`
	Row       int    `json:"row"`
	CreatedBy string `json:"created_by"`
	InComment bool   `json:"in_comment,omitempty"`
}

// LayerFile locates a finding inside a layer.
type LayerFile struct {
	Index  int    `json:"index"`
	Path   string `json:"path"`
	InName bool   `json:"in_name,omitempty"`
	// State is "visible", "deleted" or "replaced".
	State string `json:"state,omitempty"`
	By    int    `json:"by,omitempty"`
}

// Lint is `dockertutor course lint --json`: the problems of a course pack.
type Lint struct {
	Format string `json:"format"`
	Pack   string `json:"pack"`
	// Course is the pack's id when it loaded.
	Course   string        `json:"course,omitempty"`
	Problems []PackProblem `json:"problems"`
	// Warnings are true of a valid pack but may need an author's look (a
	// release table grown old); they do not change the exit code.
	Warnings []PackProblem `json:"warnings,omitempty"`
}

// PackProblem is one problem of a course pack, at a file and line.
type PackProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Prove is `dockertutor course prove --json`: every proven case of a pack.
type Prove struct {
	Format string `json:"format"`
	Pack   string `json:"pack"`
	Cases  []Case `json:"cases"`
}

// Case is one proven situation of a step.
type Case struct {
	Step string `json:"step"`
	// Name is "solution", "starter", "attempt NAME", "nothing done",
	// "right answer", "wrong answer" or "values in the image".
	Name        string  `json:"name"`
	Want        string  `json:"want"`
	OK          bool    `json:"ok"`
	Problem     string  `json:"problem,omitempty"`
	Verdict     Verdict `json:"verdict"`
	ActionError string  `json:"action_error,omitempty"`
}
