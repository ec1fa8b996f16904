package daemon

import "testing"

func TestSameImage(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"dttest/x", "docker.io/dttest/x:latest", true},
		{"alpine", "docker.io/library/alpine:latest", true},
		{"library/alpine:3.22", "alpine:3.22", true},
		{"x:1", "x:2", false},
		{"registry:5000/x", "registry:5000/x:latest", true},
		{"x@sha256:abc", "x:latest", false},
	}
	for _, c := range cases {
		if got := SameImage(c.a, c.b); got != c.same {
			t.Errorf("SameImage(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

func TestShortID(t *testing.T) {
	for id, want := range map[string]string{
		"sha256:0123456789abcdef0123": "0123456789ab",
		"0123456789abcdef":            "0123456789ab",
		"abc":                         "abc",
		"":                            "",
	} {
		if got := ShortID(id); got != want {
			t.Errorf("ShortID(%q) = %q, want %q", id, got, want)
		}
	}
}
