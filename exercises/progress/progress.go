// Package progress keeps a learner's progress through a course: the current
// step, what passed, hints used, answers, and the learner's canary secret.
//
// One JSON file per course lives in the state directory. Every change is a
// read-modify-write under an exclusive file lock and lands by atomic rename,
// so two tutors running at once never lose each other's writes and a crash
// never leaves half a file. A file that cannot be read is set aside, never
// deleted.
package progress

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/dockertutor/dockertutor/lessons"
)

// SchemaVersion is the version of the progress file this build writes.
const SchemaVersion = 1

// Status of a step for the learner.
type Status string

const (
	NotStarted Status = ""
	Started    Status = "started"
	Failed     Status = "failed"
	Passed     Status = "passed"
	// Skipped: the learner chose to leave an optional step out. It counts
	// as done, not as passed; a later check records its verdict instead.
	Skipped Status = "skipped"
)

// Done says whether the step needs nothing more from the learner: passed,
// or an optional step they skipped.
func (s Status) Done() bool { return s == Passed || s == Skipped }

// Progress is one learner's state in one course.
type Progress struct {
	Version int    `json:"version"`
	Course  string `json:"course"`
	// Secret is the learner's canary: a random value the exercises use as
	// "the secret", so the learner's real secrets are never needed.
	Secret string `json:"secret"`
	// Learner is the learner's id ("alice-3f9a2c"), made once: the
	// namespace of their Docker objects, in the names of their images and
	// containers and on a label, so that two learners on one daemon never
	// see, pass with, or remove each other's objects. A file written
	// before there were ids gets one when it is next read.
	Learner string                   `json:"learner"`
	Current string                   `json:"current,omitempty"`
	Steps   map[string]*StepProgress `json:"steps"`
	// Built are the images the tutor's classic builds made and left
	// untagged (the steps' layers, the build stages' results, which may
	// hold the canary), by step, as the builder printed their IDs: reset
	// removes them, since no label marks them. Kept apart from Steps so
	// that resetting a step's state does not forget them.
	Built   map[string][]string `json:"built,omitempty"`
	Created time.Time           `json:"created"`
	Updated time.Time           `json:"updated"`
}

// StepProgress is the learner's state in one step.
type StepProgress struct {
	Status Status `json:"status,omitempty"`
	// Began is when the learner first opened the step; image.fresh checks
	// compare image creation times with it.
	Began time.Time `json:"began,omitzero"`
	// Before are the images the step's image.fresh checks name, as they
	// were when the step began: name to image ID, "" for none. A build
	// that makes an image the daemon already had (BuildKit on Docker 20.10
	// reusing a cached, byte-identical result) moves neither its creation
	// time nor its tag time and logs no event; that the name points at
	// another image than it did, or at one at all, still shows the
	// learner built it. nil when the daemon could not be asked.
	Before map[string]string `json:"before,omitempty"`
	// PassedAt is when the step first passed ("passed once"); it stays
	// when a later check fails.
	PassedAt  time.Time `json:"passed_at,omitzero"`
	HintsUsed int       `json:"hints_used,omitempty"`
	Checks    int       `json:"checks,omitempty"` // how often it was checked
	Answer    []string  `json:"answer,omitempty"`
	// Answers counts the answers the learner gave to the step (the
	// solution's reference answer is not one), for a class's report.
	Answers int `json:"answers,omitempty"`
	// SolutionSeen records that the learner asked for the reference solution.
	SolutionSeen bool `json:"solution_seen,omitempty"`
}

// maxBuilt bounds the images remembered per step; the oldest go first.
const maxBuilt = 256

// RecordBuilt remembers images a build of the step made.
func (p *Progress) RecordBuilt(step string, ids []string) {
	if len(ids) == 0 {
		return
	}
	if p.Built == nil {
		p.Built = map[string][]string{}
	}
	list := p.Built[step]
	for _, id := range ids {
		if !slices.Contains(list, id) {
			list = append(list, id)
		}
	}
	if len(list) > maxBuilt {
		list = list[len(list)-maxBuilt:]
	}
	p.Built[step] = list
}

// ForgetBuilt drops images that are gone or no longer the tutor's.
func (p *Progress) ForgetBuilt(step string, ids []string) {
	list := slices.DeleteFunc(p.Built[step], func(id string) bool { return slices.Contains(ids, id) })
	if len(list) == 0 {
		delete(p.Built, step)
		return
	}
	p.Built[step] = list
}

// Step returns the state of a step, creating it when absent.
func (p *Progress) Step(id string) *StepProgress {
	if p.Steps == nil {
		p.Steps = map[string]*StepProgress{}
	}
	sp, ok := p.Steps[id]
	if !ok {
		sp = &StepProgress{}
		p.Steps[id] = sp
	}
	return sp
}

// StatusOf returns a step's status without creating it.
func (p *Progress) StatusOf(id string) Status {
	if sp, ok := p.Steps[id]; ok {
		return sp.Status
	}
	return NotStarted
}

// Begin marks a step as opened now, once.
func (p *Progress) Begin(id string, now time.Time) {
	sp := p.Step(id)
	if sp.Began.IsZero() {
		sp.Began = now
	}
	if sp.Status == NotStarted {
		sp.Status = Started
	}
	p.Current = id
}

// Record stores a verdict: the step's status is the latest verdict's, so
// that what the learner last saw on screen, the outline and the count of
// passed steps always agree. A step that passed once and fails now is
// failed (its files or objects no longer do what was asked); PassedAt
// keeps when it first passed.
func (p *Progress) Record(id string, passed bool, now time.Time) {
	sp := p.Step(id)
	sp.Checks++
	if !passed {
		sp.Status = Failed
		return
	}
	if sp.PassedAt.IsZero() {
		sp.PassedAt = now
	}
	sp.Status = Passed
}

// Store is the progress file of one course.
type Store struct {
	path string
	lock *flock.Flock

	mu       sync.Mutex // guards setAside: a session reads from several goroutines
	setAside []*CorruptError
}

// Open returns the store for a course in dir (created if needed).
func Open(dir, course string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the progress folder: %w", err)
	}
	p := filepath.Join(dir, "progress-"+course+".json")
	return &Store{path: p, lock: flock.New(p + ".lock")}, nil
}

// Path is the progress file, for messages.
func (s *Store) Path() string { return s.path }

// CorruptError says the progress file could not be read and where the
// unreadable file was moved; the learner starts from a fresh file. It is
// a warning to show, kept by the store (SetAside), never returned by Load
// or Update: the fresh progress is usable, so no caller has an error to
// handle.
type CorruptError struct {
	Path, SetAside string
	Err            error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("progress file %s could not be read (%v); it was kept as %s and a fresh one started", e.Path, e.Err, e.SetAside)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Load reads the progress, creating it (with a new canary and learner id)
// on first use, and in place of a file that cannot be parsed, which is set
// aside (SetAside). Only a new file, or one that gained a learner id, is
// written: reading is what the tutor does most, at every start and every
// check, and a write means an fsync.
func (s *Store) Load(course string) (Progress, error) {
	if err := s.lock.Lock(); err != nil {
		return Progress{}, fmt.Errorf("cannot lock %s: %w", s.lock.Path(), err)
	}
	defer s.lock.Unlock()

	p, saved, err := s.read(course)
	if saved || err != nil {
		return p, err
	}
	p.Updated = time.Now().UTC()
	if err := s.write(p); err != nil {
		return p, err
	}
	return p, nil
}

// Update applies fn to the current progress under the file lock and saves
// the result. A file that cannot be parsed is set aside first, as in Load.
func (s *Store) Update(course string, fn func(*Progress) error) (Progress, error) {
	if err := s.lock.Lock(); err != nil {
		return Progress{}, fmt.Errorf("cannot lock %s: %w", s.lock.Path(), err)
	}
	defer s.lock.Unlock()

	p, _, err := s.read(course)
	if err != nil {
		// Unreadable, not unparsable: writing now would replace the
		// learner's progress with a blank one.
		return p, err
	}
	if err := fn(&p); err != nil {
		return p, err
	}
	p.Updated = time.Now().UTC()
	if err := s.write(p); err != nil {
		return p, err
	}
	return p, nil
}

// SetAside returns the unreadable progress files this store moved aside
// so far, oldest first, for the front end to tell the learner.
func (s *Store) SetAside() []*CorruptError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.setAside)
}

// read returns the progress as saved (saved is true), the saved progress
// with a learner id it lacked (saved is false), or a fresh one when there
// is none or it was unparsable and is now set aside (recorded in setAside).
func (s *Store) read(course string) (p Progress, saved bool, err error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		p, err := fresh(course)
		return p, false, err
	}
	if err != nil {
		return Progress{}, false, err
	}
	err = json.Unmarshal(data, &p)
	if err == nil {
		err = p.validate(course)
	}
	if err != nil {
		aside := fmt.Sprintf("%s.corrupt-%s", s.path, time.Now().UTC().Format("20060102T150405"))
		// Two in the same second must not overwrite the first: the file
		// lock is held, so a name found free stays free until the rename.
		for n := 2; ; n++ {
			if _, serr := os.Lstat(aside); errors.Is(serr, os.ErrNotExist) {
				break
			}
			aside = fmt.Sprintf("%s.corrupt-%s-%d", s.path, time.Now().UTC().Format("20060102T150405"), n)
		}
		if rerr := os.Rename(s.path, aside); rerr != nil {
			return Progress{}, false, fmt.Errorf("progress file %s cannot be read (%v) nor set aside (%v)", s.path, err, rerr)
		}
		s.mu.Lock()
		s.setAside = append(s.setAside, &CorruptError{Path: s.path, SetAside: aside, Err: err})
		s.mu.Unlock()
		p, err := fresh(course)
		return p, false, err
	}
	if p.Steps == nil {
		p.Steps = map[string]*StepProgress{}
	}
	if p.Learner == "" {
		// Written before learners had ids: one is added, and the
		// learner's progress stays as it was.
		if p.Learner, err = NewLearnerID(); err != nil {
			return p, false, err
		}
		return p, false, nil
	}
	return p, true, nil
}

func (p *Progress) validate(course string) error {
	switch {
	case p.Version > SchemaVersion:
		return fmt.Errorf("written by a newer dockertutor (version %d)", p.Version)
	case p.Course != course:
		return fmt.Errorf("belongs to course %q", p.Course)
	case len(p.Secret) < 12:
		return errors.New("has no canary secret")
	}
	if p.Learner != "" {
		if _, err := lessons.NamedNamespace(p.Learner); err != nil {
			return fmt.Errorf("learner id: %w", err)
		}
	}
	for id, sp := range p.Steps {
		if sp == nil {
			return fmt.Errorf("step %q has no data", id)
		}
	}
	return nil
}

func (s *Store) write(p Progress) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".progress-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot save progress: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot save progress: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot save progress: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot save progress: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("cannot save progress: %w", err)
	}
	return nil
}

func fresh(course string) (Progress, error) {
	secret, err := NewSecret()
	if err != nil {
		return Progress{}, err
	}
	learner, err := NewLearnerID()
	if err != nil {
		return Progress{}, err
	}
	now := time.Now().UTC()
	return Progress{Version: SchemaVersion, Course: course, Secret: secret, Learner: learner, Steps: map[string]*StepProgress{}, Created: now}, nil
}

// NewLearnerID returns a new learner id: the user's login name made fit
// for an image path ("alice"; "learner" when there is none), a hyphen and
// six random hex digits ("alice-3f9a2c"). The name makes it readable on
// a shared daemon; the digits keep two learners with the same login (a
// lab's "student" on every machine) apart.
func NewLearnerID() (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot make a learner id: %w", err)
	}
	return learnerName(loginName()) + "-" + hex.EncodeToString(b), nil
}

// maxLearnerName keeps ids short enough to read in an image name.
const maxLearnerName = 16

// learnerName makes a login name fit for a namespace: lowercase letters
// and digits in words joined by single hyphens.
func learnerName(login string) string {
	if i := strings.LastIndexByte(login, '\\'); i >= 0 {
		login = login[i+1:] // DOMAIN\user on Windows
	}
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(login) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
		if b.Len() >= maxLearnerName {
			break
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		return "learner"
	}
	return name
}

// loginName is the user's login name, "" when it cannot be known.
func loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, env := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	return ""
}

// NewSecret returns a random canary such as "canary-k3v9q2m7x1td". It is
// long enough never to occur by chance in an image, short enough to type.
func NewSecret() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no look-alikes
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot make a secret: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "canary-" + string(b), nil
}
