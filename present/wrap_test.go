package present

import (
	"slices"
	"testing"
)

func TestWrapBreaksAtSpacesOnly(t *testing.T) {
	for _, c := range []struct {
		text  string
		width int
		want  []string
	}{
		{"Pass --pull to docker build", 12, []string{"Pass --pull", "to docker", "build"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"one\ntwo three", 20, []string{"one", "two three"}},
		{"", 10, []string{""}},
		{"naïve café", 5, []string{"naïve", "café"}},
	} {
		if got := Wrap(c.text, c.width); !slices.Equal(got, c.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.text, c.width, got, c.want)
		}
	}
}

func TestWrapWholeKeepsLongWords(t *testing.T) {
	path := "/home/learner/.local/state/dockertutor/progress-image-security.json.corrupt-20261202T061839"
	got := WrapWhole("it was kept as "+path+" and a fresh one started", 40)
	want := []string{"it was kept as", path, "and a fresh one started"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
