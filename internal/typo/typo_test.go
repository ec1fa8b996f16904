package typo

import "testing"

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"run", "run", 0}, {"rnu", "run", 1}, {"rnu", "env", 2},
		{"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"ca", "abc", 3},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	for _, tt := range []struct {
		word  string
		names []string
		want  string
		edits int
	}{
		// A swap is one edit, so RUN wins over ENV (two substitutions).
		{"rnu", []string{"env", "run"}, "run", 1},
		{"rnu", []string{"run", "env"}, "run", 1},
		// A tie goes to the alphabetically first, whatever the order.
		{"cat", []string{"cut", "bat"}, "bat", 1},
		{"cat", []string{"bat", "cut"}, "bat", 1},
		{"run", []string{"run"}, "run", 0},
		{"banana", []string{"run", "env"}, "", 0},
		{"x", nil, "", 0},
	} {
		got, edits := Closest(tt.word, tt.names)
		if got != tt.want || edits != tt.edits {
			t.Errorf("Closest(%q, %q) = %q, %d; want %q, %d", tt.word, tt.names, got, edits, tt.want, tt.edits)
		}
	}
}
