// Package wire is what a learner's tutor and the class server say to each
// other over HTTP: the requests, the answers and the events, as Go types,
// with the one strict decoder of what a learner posts.
//
// Nothing here carries what a learner typed, a file's content, a check's
// evidence, a path or the learner's canary: an event names steps and
// checks by their ids in the course and says how they came out, and the
// readiness of a machine names its engine and the course's images. A field
// that could carry more does not exist, so a sender cannot leak it by
// mistake.
//
// The routes, all under /api/v1:
//
//	POST /join      JoinRequest  -> JoinAnswer  (the class code; a tutor joining
//	                                            again also shows its token as Bearer:
//	                                            without it, a learner who is online
//	                                            cannot be joined as, 409)
//	POST /events    EventBatch   -> Ack         (Bearer: the learner's token)
//	GET  /room                   -> Room        (Bearer: the instructor's token)
//	GET  /export?format=csv|json|junit          (Bearer: the instructor's token)
//	POST /hold      Hold         -> ClassState  (Bearer: the instructor's token)
//	POST /message   Message      -> ClassState  (Bearer: the instructor's token)
//	POST /settings  Settings     -> ClassState  (Bearer: the instructor's token)
//
// A learner with nothing to send posts an empty batch now and then: the
// answer carries the class's state (a lesson held, the instructor's
// message), and the server sees the learner is still there.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// EventsFormat is the format and version of an EventBatch. A version
// changes only when a field is removed or changes meaning.
const EventsFormat = "dockertutor.events/1"

// Limits on what the server takes: a learner's tutor never comes near
// them, so a request past one is a bug or an attack, answered 413 or 400.
const (
	MaxBodyBytes     = 64 << 10 // one request body
	MaxBatch         = 200      // events in one batch
	MaxChecks        = 64       // check outcomes in one verdict
	MaxImages        = 64       // images in one readiness
	MaxNameRunes     = 40       // a display name, after cleaning
	MaxMessageRunes  = 200      // the instructor's one-line message
	maxIDBytes       = 64       // a step, check, course or learner id
	maxVersionBytes  = 64       // an engine's name or version
	maxImageRefBytes = 256      // an image reference
)

// Kind is what happened in a learner's tutor.
type Kind string

const (
	// StepOpened: the learner opened a step (it became current).
	StepOpened Kind = "step-opened"
	// Verdict: a step was checked; Passed and Checks say how it came out.
	Verdict Kind = "verdict"
	// HintShown: the learner revealed hint number Hint of the step.
	HintShown Kind = "hint"
	// SolutionShown: the learner asked for the step's reference solution.
	SolutionShown Kind = "solution"
	// AnswerGiven: the learner submitted an answer (quiz or typed);
	// Attempts counts the answers given to the step so far, never what
	// they were.
	AnswerGiven Kind = "answer"
	// StepSkipped: the learner skipped an optional step.
	StepSkipped Kind = "skip"
	// Ready: the machine's readiness, from doctor, sent at join and when
	// it changes.
	Ready Kind = "readiness"
)

var kinds = map[Kind]bool{StepOpened: true, Verdict: true, HintShown: true, SolutionShown: true, AnswerGiven: true, StepSkipped: true, Ready: true}

// Outcome is how one check came out, as the tutor's check package says it.
type Outcome string

const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Errored Outcome = "error"
)

var outcomes = map[Outcome]bool{Passed: true, Failed: true, Errored: true}

// Event is one thing that happened in a learner's tutor. Seq numbers a
// learner's events from 1 without gaps, in the order they happened: the
// server keeps each (learner, seq) once, so a batch sent twice (the
// answer was lost) changes nothing.
type Event struct {
	Seq  int64     `json:"seq"`
	Kind Kind      `json:"kind"`
	At   time.Time `json:"at"`
	// Step is the step's id in the course; every kind but Ready has one.
	Step string `json:"step,omitempty"`
	// Passed and Checks are a Verdict's.
	Passed bool           `json:"passed,omitempty"`
	Checks []CheckOutcome `json:"checks,omitempty"`
	// Hint is a HintShown's number, from 1.
	Hint int `json:"hint,omitempty"`
	// Attempts is an AnswerGiven's count of answers given to the step.
	Attempts int `json:"attempts,omitempty"`
	// Readiness is a Ready's.
	Readiness *Readiness `json:"readiness,omitempty"`
}

// CheckOutcome is one check of a verdict: its id in the step, and how it
// came out. Never its message or evidence.
type CheckOutcome struct {
	ID      string  `json:"id"`
	Outcome Outcome `json:"outcome"`
}

// Readiness is what doctor found on the learner's machine, without
// anything that names the machine's paths or people.
type Readiness struct {
	// Docker says whether the daemon answered.
	Docker bool `json:"docker"`
	// Engine is the product ("Docker Engine - Community", "Podman
	// Engine"), Version its version, API the negotiated API version.
	Engine  string `json:"engine,omitempty"`
	Version string `json:"version,omitempty"`
	API     string `json:"api,omitempty"`
	// BuildKit and Classic say which builders the daemon offers;
	// DockerBuild is what the learner's own `docker build` runs
	// ("buildkit", "legacy", "broken", "none").
	BuildKit    bool   `json:"buildkit"`
	Classic     bool   `json:"classic"`
	DockerBuild string `json:"docker_build,omitempty"`
	// Images are the course's images and whether each is present.
	Images []ImageReadiness `json:"images,omitempty"`
}

// ImageReadiness is one image the course needs.
type ImageReadiness struct {
	Ref string `json:"ref"`
	// Present says the tag is on the daemon, at whatever digest: all a
	// tutor older than State said.
	Present bool `json:"present"`
	// State is where the image stands against the digest the course pins,
	// as doctor says it (exercises/pins): "pinned", "present" (the pack
	// pins no digest), "other-digest", "missing" or "unknown". Empty from
	// an older tutor: then Present alone tells.
	State string `json:"state,omitempty"`
}

// ImageStates are the values of ImageReadiness.State: exercises/pins's
// states, which a test in classroom/outbox holds this list to.
var ImageStates = map[string]bool{"pinned": true, "present": true, "other-digest": true, "missing": true, "unknown": true}

// EventBatch is what a learner posts: its events in order, oldest first.
type EventBatch struct {
	Format string  `json:"format"`
	Events []Event `json:"events"`
}

// Ack answers an EventBatch: the highest seq the server now holds for the
// learner (the sender drops its events up to it), and the class's state.
type Ack struct {
	Acked int64      `json:"acked"`
	Class ClassState `json:"class"`
}

// ClassState is what every learner's tutor shows of the class.
type ClassState struct {
	// Title names the class ("Docker security, Tuesday").
	Title string `json:"title"`
	// HoldLesson, when not empty, is the id of the last lesson learners may
	// work in: the ones after it open when the instructor says so.
	HoldLesson string `json:"hold_lesson,omitempty"`
	// Message is the instructor's one-line message to everyone.
	Message string `json:"message,omitempty"`
}

// JoinRequest is what `dockertutor class join` sends.
type JoinRequest struct {
	Code string `json:"code"`
	// Name is the display name the learner chose: untrusted text,
	// cleaned by CleanName on both sides.
	Name string `json:"name"`
	// Learner is the learner's id from their progress ("alice-3f9a2c");
	// joining again with the same id is the same learner.
	Learner string `json:"learner"`
	// Course is the id of the course the learner's tutor runs; it must be
	// the class's.
	Course string `json:"course"`
}

// JoinAnswer gives the learner the token that posts their events (shown
// once: the server keeps only its hash), and the class's state.
type JoinAnswer struct {
	Token string     `json:"token"`
	Class ClassState `json:"class"`
	// Acked is the highest seq the server already holds for this learner
	// (a learner joining again after a reinstall).
	Acked int64 `json:"acked"`
}

// Hold sets or clears (empty) the lesson the room is held at.
type Hold struct {
	Lesson string `json:"lesson"`
}

// Message sets or clears (empty) the instructor's message.
type Message struct {
	Text string `json:"text"`
}

// Settings are the instructor's choices for the dashboard.
type Settings struct {
	// StuckAfterSeconds marks a learner stuck after this long on a step
	// without passing it.
	StuckAfterSeconds int `json:"stuck_after_seconds"`
}

// Problem is the body of every 4xx and 5xx answer: one sentence a person
// can act on.
type Problem struct {
	Error string `json:"error"`
}

// DecodeBatch reads one EventBatch from r, strictly: unknown fields, a
// wrong format, too many events, an event that is not well formed, seqs
// out of order, or trailing data are each an error that says which. It
// never reads more than MaxBodyBytes.
func DecodeBatch(r io.Reader) (EventBatch, error) {
	var b EventBatch
	data, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return b, err
	}
	if len(data) > MaxBodyBytes {
		return b, ErrTooLarge
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return EventBatch{}, fmt.Errorf("not an event batch: %w", err)
	}
	if dec.More() {
		return EventBatch{}, errors.New("not an event batch: data after the batch")
	}
	if b.Format != EventsFormat {
		return EventBatch{}, fmt.Errorf("format %q: this server reads %s", b.Format, EventsFormat)
	}
	if len(b.Events) > MaxBatch {
		return EventBatch{}, fmt.Errorf("%d events in one batch: at most %d", len(b.Events), MaxBatch)
	}
	for i, e := range b.Events {
		if err := e.Validate(); err != nil {
			return EventBatch{}, fmt.Errorf("event %d: %w", i+1, err)
		}
		if i > 0 && e.Seq != b.Events[i-1].Seq+1 {
			return EventBatch{}, fmt.Errorf("event %d: seq %d after %d: a batch's seqs follow one another", i+1, e.Seq, b.Events[i-1].Seq)
		}
	}
	return b, nil
}

// ErrTooLarge is a body past MaxBodyBytes.
var ErrTooLarge = fmt.Errorf("request body over %d bytes", MaxBodyBytes)

// Validate says whether an event is well formed: a known kind with the
// fields that kind has and no others, ids of the course's form, bounded
// lists.
func (e Event) Validate() error {
	if e.Seq < 1 {
		return fmt.Errorf("seq %d: seqs start at 1", e.Seq)
	}
	if !kinds[e.Kind] {
		return fmt.Errorf("unknown kind %q", e.Kind)
	}
	if e.At.IsZero() {
		return errors.New("no time")
	}
	if e.Kind == Ready {
		if e.Step != "" {
			return errors.New("a readiness names no step")
		}
		if e.Readiness == nil {
			return errors.New("a readiness event without its readiness")
		}
		return e.Readiness.validate()
	}
	if err := ValidID(e.Step); err != nil {
		return fmt.Errorf("step: %w", err)
	}
	if e.Readiness != nil {
		return fmt.Errorf("a %s event carries no readiness", e.Kind)
	}
	if e.Kind != Verdict && (e.Passed || len(e.Checks) > 0) {
		return fmt.Errorf("a %s event carries no verdict", e.Kind)
	}
	if (e.Kind == HintShown) != (e.Hint > 0) || e.Hint < 0 {
		return fmt.Errorf("hint %d on a %s event", e.Hint, e.Kind)
	}
	if (e.Kind == AnswerGiven) != (e.Attempts > 0) || e.Attempts < 0 {
		return fmt.Errorf("attempts %d on a %s event", e.Attempts, e.Kind)
	}
	if len(e.Checks) > MaxChecks {
		return fmt.Errorf("%d checks: at most %d", len(e.Checks), MaxChecks)
	}
	for i, c := range e.Checks {
		if err := ValidID(c.ID); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		// A step's check ids are unique: one named twice would count a
		// learner twice among those a check fails for.
		for _, d := range e.Checks[:i] {
			if d.ID == c.ID {
				return fmt.Errorf("check %s named twice in one verdict", c.ID)
			}
		}
		if !outcomes[c.Outcome] {
			return fmt.Errorf("check %s: unknown outcome %q", c.ID, c.Outcome)
		}
	}
	return nil
}

func (r *Readiness) validate() error {
	for _, s := range []string{r.Engine, r.Version, r.API, r.DockerBuild} {
		if len(s) > maxVersionBytes || !printable(s) {
			return fmt.Errorf("readiness: %q is not a short line of text", s)
		}
	}
	if len(r.Images) > MaxImages {
		return fmt.Errorf("readiness: %d images: at most %d", len(r.Images), MaxImages)
	}
	for _, im := range r.Images {
		if im.Ref == "" || len(im.Ref) > maxImageRefBytes || !printable(im.Ref) || strings.ContainsAny(im.Ref, " \t") {
			return fmt.Errorf("readiness: %q is not an image reference", im.Ref)
		}
		if im.State != "" && !ImageStates[im.State] {
			return fmt.Errorf("readiness: image %s: unknown state %q", im.Ref, im.State)
		}
	}
	return nil
}

// idPattern is the form of the course's ids (steps, checks, lessons,
// courses) and of learner ids.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// ValidID says whether s has the form of an id.
func ValidID(s string) error {
	if s == "" {
		return errors.New("empty id")
	}
	if len(s) > maxIDBytes || !idPattern.MatchString(s) {
		return fmt.Errorf("%q is not an id (lower-case letters, digits, '.', '_' and '-', at most %d)", s, maxIDBytes)
	}
	return nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// CleanName makes a display name safe to keep and show: valid UTF-8,
// control and format characters (bidi overrides, zero-width marks)
// dropped, runs of spaces made one, trimmed, at most MaxNameRunes runes.
// Markup is left as text: every page and export escapes it where it is
// shown. An empty result means the name was not a name.
func CleanName(s string) string {
	return cleanLine(s, MaxNameRunes)
}

// CleanMessage is CleanName for the instructor's one-line message.
func CleanMessage(s string) string {
	return cleanLine(s, MaxMessageRunes)
}

func cleanLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if space {
			if n+1 >= max {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
