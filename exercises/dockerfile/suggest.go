package dockerfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/util/suggest"

	"github.com/dockertutor/dockertutor/internal/typo"
)

// unknownInstructionMessage rewords BuildKit's "unknown instruction" error
// with a suggestion that does not depend on map order. BuildKit picks the
// first candidate below its distance limit while ranging over a map, so a
// typo at equal Levenshtein distance from two instructions gets either one
// (RNU: RUN or ENV). Counting a swap of two neighbouring letters as one
// edit makes the likely typo win, and ties go to the alphabetically first.
func unknownInstructionMessage(err error) (string, bool) {
	var unknown *instructions.UnknownInstructionError
	if !errors.As(err, &unknown) {
		return "", false
	}
	msg := fmt.Sprintf("unknown instruction: %s", unknown.Instruction)
	if s := suggestInstruction(unknown.Instruction); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return msg, true
}

func suggestInstruction(word string) string {
	names := make([]string, 0, len(command.Commands))
	for name := range command.Commands {
		names = append(names, name)
	}
	best, edits := typo.Closest(strings.ToLower(word), names)
	if best == "" || edits == 0 {
		return ""
	}
	// Lower case for a lower-case typo, the usual upper case otherwise.
	if word == strings.ToLower(word) {
		return best
	}
	return strings.ToUpper(best)
}

// mountChoices are the values BuildKit suggests from when a --mount option
// has an unknown value; it ranges over a map of them, so a value equally
// close to two (type=cash: cache or ssh) gets either suggestion.
var mountChoices = []struct {
	prefix  string
	choices []string
}{
	{"unsupported mount type ", []string{
		string(instructions.MountTypeBind), string(instructions.MountTypeCache),
		string(instructions.MountTypeSecret), string(instructions.MountTypeSSH),
		string(instructions.MountTypeTmpfs)}},
	{"unsupported sharing value ", []string{
		string(instructions.MountSharingLocked), string(instructions.MountSharingPrivate),
		string(instructions.MountSharingShared)}},
}

// stableMountMessage redoes BuildKit's suggestion for an unknown mount type
// or sharing value over the choices in alphabetical order, so the same file
// always gets the same message.
func stableMountMessage(msg string) string {
	for _, m := range mountChoices {
		rest, ok := strings.CutPrefix(msg, m.prefix)
		if !ok {
			continue
		}
		quoted, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return msg
		}
		value, err := strconv.Unquote(quoted)
		if err != nil {
			return msg
		}
		out := m.prefix + quoted
		if match, ok := suggest.Search(value, m.choices, true); ok {
			out += fmt.Sprintf(" (did you mean %s?)", match)
		}
		return out
	}
	return msg
}
