package dockerfile

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/util/suggest"
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
	slices.Sort(names)
	lower := strings.ToLower(word)
	best, bestDistance := "", 3 // BuildKit's limit: at most two edits
	for _, name := range names {
		if d := editDistance(lower, name); d < bestDistance {
			best, bestDistance = name, d
		}
	}
	if best == "" || bestDistance == 0 {
		return ""
	}
	// Lower case for a lower-case typo, the usual upper case otherwise.
	if word == strings.ToLower(word) {
		return best
	}
	return strings.ToUpper(best)
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent characters each cost one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows suffice: the swap looks two rows back.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
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
