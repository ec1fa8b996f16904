package lessons

import (
	"fmt"
	"slices"
	"strings"
)

// ParseChoices reads a quiz answer typed as "a", "a,c" or "a c": the
// choice ids, lowercase, sorted, once each.
func ParseChoices(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	slices.Sort(f)
	return slices.Compact(f)
}

// ParseAnswer reads what a learner typed as the answer of a quiz step
// (choice ids) or a free-answer step (the value, trimmed). Other steps
// take no answer.
func (s *Step) ParseAnswer(typed string) ([]string, error) {
	switch s.Kind {
	case KindQuiz:
		return ParseChoices(typed), nil
	case KindAnswer:
		if s.Answer != nil && s.Answer.Expect == ExpectValues {
			return parseParts(typed), nil
		}
		return []string{strings.TrimSpace(typed)}, nil
	}
	return nil, fmt.Errorf("step %s is a %s step: only quiz and answer steps take an answer", s.ID, s.Kind)
}

// ReferenceAnswer is the right answer of a quiz or free-answer step, as a
// learner would type it: the right choice ids ("a,c"), the learner's
// canary, or the expected text filled with their values.
func (s *Step) ReferenceAnswer(v Values) (string, error) {
	switch {
	case s.Kind == KindQuiz && s.Quiz != nil:
		var ids []string
		for _, c := range s.Quiz.Choices {
			if c.Correct {
				ids = append(ids, c.ID)
			}
		}
		return strings.Join(ids, ","), nil
	case s.Kind == KindAnswer && s.Answer != nil && s.Answer.Expect == "secret":
		return v.Secret, nil
	case s.Kind == KindAnswer && s.Answer != nil && s.Answer.Expect == ExpectValues:
		var parts []string
		for _, p := range s.Answer.Values {
			x, err := Expand(p.Value, v)
			if err != nil {
				return "", fmt.Errorf("answer value %s: %w", p.ID, err)
			}
			parts = append(parts, x)
		}
		return strings.Join(parts, " "), nil
	case s.Kind == KindAnswer && s.Answer != nil:
		return Expand(s.Answer.Value, v)
	}
	return "", fmt.Errorf("step %s is a %s step: it has no reference answer", s.ID, s.Kind)
}

// HintTexts are the step's first n hints filled with the values; a hint
// that cannot be filled is shown as written.
func (s *Step) HintTexts(n int, v Values) []string {
	n = max(0, min(n, len(s.Hints)))
	v = v.Shown()
	out := make([]string, 0, n)
	for _, h := range s.Hints[:n] {
		t, err := Expand(h, v)
		if err != nil {
			t = h
		}
		out = append(out, t)
	}
	return out
}

// Hint is the step's hint number n (from 1) filled with the values.
func (s *Step) Hint(n int, v Values) (string, error) {
	if n < 1 || n > len(s.Hints) {
		return "", fmt.Errorf("step %s has no hint %d (it has %d)", s.ID, n, len(s.Hints))
	}
	return Expand(s.Hints[n-1], v.Shown())
}
