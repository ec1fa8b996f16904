package digest

import "testing"

func TestShort(t *testing.T) {
	for in, want := range map[string]string{
		"sha256:0123456789abcdef0123": "sha256:0123456789ab…",
		"0123456789abcdef":            "0123456789ab…",
		"sha256:0123456789ab":         "sha256:0123456789ab",
		"sha256:abc":                  "sha256:abc",
		"":                            "",
	} {
		if got := Short(in); got != want {
			t.Errorf("Short(%q) = %q, want %q", in, got, want)
		}
	}
}
