package lessons

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// A hidden value is a secret the course puts somewhere for the learner to
// find without ever showing it to them first: the token in a teammate's
// image, say. Templates name it {{.Hidden "npm-token"}}. Step text, hints,
// prompts and the files laid out in the learner's step folder cannot use
// it (lint refuses them, and Render fails on them), so the learner sees a
// hidden value only where they dig it out, or once they ask for the
// solution.

// hiddenValueName is how a template names a hidden value, for messages.
const hiddenValueName = `{{.Hidden "name"}}`

// hiddenAlphabet is what a hidden value is made of: letters and digits,
// like most API keys and generated passwords, and nothing a shell or a
// Dockerfile would need quoted.
const hiddenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// hiddenLength is the length of a hidden value: that of a typical token.
const hiddenLength = 32

// ErrHiddenShown is the error of a template that would show a hidden value
// where the learner reads before finding it.
var ErrHiddenShown = errors.New(`a hidden value ({{.Hidden "…"}}) is never shown in a step's text, hints, prompt or the learner's files: use it in a build's pack-context files and arguments and in answer.values`)

// Hidden is the hidden value called name for this learner: an HMAC-SHA256
// of the course id and the name keyed with the learner's canary, written
// as 32 letters and digits. It is the same on every run (the canary is
// kept in progress), different for every learner, and shares no text with
// the canary, so neither a search for the canary nor a guess from it
// finds it. The same name is the same value everywhere in the course.
func (v Values) Hidden(name string) (string, error) {
	if v.hiddenKey == "" {
		return "", ErrHiddenShown
	}
	if strings.TrimSpace(name) == "" {
		return "", errors.New(`a hidden value needs a name: {{.Hidden "npm-token"}}`)
	}
	mac := hmac.New(sha256.New, []byte(v.hiddenKey))
	fmt.Fprintf(mac, "dockertutor hidden value\x00%s\x00%s", v.Course, name)
	sum := mac.Sum(nil)
	out := make([]byte, hiddenLength)
	for i := range out {
		// 256 is not a multiple of 62: the first 8 letters come a little
		// more often, which matters for nothing here.
		out[i] = hiddenAlphabet[int(sum[i])%len(hiddenAlphabet)]
	}
	return string(out), nil
}

// Shown are the values as the learner may see them before finding the
// hidden ones: the same, but {{.Hidden}} fails with ErrHiddenShown.
func (v Values) Shown() Values {
	v.hiddenKey = ""
	return v
}

// AnswerPart is one of the values an `expect: values` answer holds; each
// is checked on its own (the check with the part's id), so a partial
// answer is told which value is still missing.
type AnswerPart struct {
	// ID is the id of the part's check.
	ID string `yaml:"id"`
	// Name is what the value is, as a message names it while it is still
	// missing ("the npm token"); it never holds the value.
	Name string `yaml:"name"`
	// Value is the value the learner must find; a template, usually
	// {{.Hidden "…"}}.
	Value string `yaml:"value"`
	// Where says where the value is and how to get it out; shown once the
	// learner found it or asked for the solution. A template.
	Where string `yaml:"where"`
	// FoundIn, when set, is the kind of place Where speaks of; `course
	// prove` holds the image the step's action builds to it.
	FoundIn FoundIn `yaml:"found-in"`
}

// FoundIn is a kind of place in an image where a value can be found.
type FoundIn string

const (
	FoundInHistory     FoundIn = "history"      // an entry of docker history
	FoundInConfig      FoundIn = "config"       // the image's inspect JSON
	FoundInFile        FoundIn = "file"         // a file the image shows
	FoundInDeletedFile FoundIn = "deleted-file" // a file a later layer deletes or replaces, still in its own layer
)

// FoundInPlaces lists the kinds of place, for messages.
var FoundInPlaces = []FoundIn{FoundInHistory, FoundInConfig, FoundInFile, FoundInDeletedFile}

// Part finds one of the answer's values by id.
func (a *Answer) Part(id string) (AnswerPart, bool) {
	if a == nil {
		return AnswerPart{}, false
	}
	i := slices.IndexFunc(a.Values, func(p AnswerPart) bool { return p.ID == id })
	if i < 0 {
		return AnswerPart{}, false
	}
	return a.Values[i], true
}

// parseParts reads an answer of several values: words separated by
// spaces, commas or semicolons.
func parseParts(typed string) []string {
	return strings.FieldsFunc(typed, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}
