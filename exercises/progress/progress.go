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
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gofrs/flock"
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
	Secret  string                   `json:"secret"`
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
	Began     time.Time `json:"began,omitzero"`
	PassedAt  time.Time `json:"passed_at,omitzero"`
	HintsUsed int       `json:"hints_used,omitempty"`
	Checks    int       `json:"checks,omitempty"` // how often it was checked
	Answer    []string  `json:"answer,omitempty"`
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

// Record stores a verdict. A pass is kept even if a later check fails:
// the learner did it once, and changing files afterwards is exploring.
func (p *Progress) Record(id string, passed bool, now time.Time) {
	sp := p.Step(id)
	sp.Checks++
	switch {
	case passed:
		if sp.Status != Passed {
			sp.PassedAt = now
		}
		sp.Status = Passed
	case sp.Status != Passed:
		sp.Status = Failed
	}
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

// Load reads the progress, creating it (with a new canary) on first use,
// and in place of a file that cannot be parsed, which is set aside
// (SetAside). Only a new file is written: reading is what the tutor does
// most, at every start and every check, and a write means an fsync.
func (s *Store) Load(course string) (Progress, error) {
	if err := s.lock.Lock(); err != nil {
		return Progress{}, fmt.Errorf("cannot lock %s: %w", s.lock.Path(), err)
	}
	defer s.lock.Unlock()

	p, fromFile, err := s.read(course)
	if fromFile || err != nil {
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

// read returns the saved progress (fromFile), or a fresh one when there is
// none or it was unparsable and is now set aside (recorded in setAside).
func (s *Store) read(course string) (p Progress, fromFile bool, err error) {
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
	now := time.Now().UTC()
	return Progress{Version: SchemaVersion, Course: course, Secret: secret, Steps: map[string]*StepProgress{}, Created: now}, nil
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
