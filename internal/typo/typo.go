// Package typo finds the known name a mistyped word was meant to be: an
// unknown Dockerfile instruction, a course file's unknown field or check
// type. Both the Dockerfile analysis and the course loader suggest from
// it, so a typo gets the same suggestion wherever it is made.
package typo

import "slices"

// MaxEdits is how far a word may be from a name and still be taken for a
// typo of it; BuildKit's own suggestions use the same limit.
const MaxEdits = 2

// Closest is the name nearest to word within MaxEdits, and its distance;
// "" when none is that close. Ties go to the alphabetically first name,
// so the same typo always gets the same suggestion whatever the order of
// names (often a map's keys).
func Closest(word string, names []string) (name string, edits int) {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	best, bestEdits := "", MaxEdits+1
	for _, n := range sorted {
		if d := Distance(word, n); d < bestEdits {
			best, bestEdits = n, d
		}
	}
	if best == "" {
		return "", 0
	}
	return best, bestEdits
}

// Distance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent characters each cost one.
// A swap counts once because it is the likeliest typo (RNU for RUN);
// plain Levenshtein counts it twice and may prefer another name.
func Distance(a, b string) int {
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
