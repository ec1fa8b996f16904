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

// Podman names what it builds under a short name localhost/NAME; a name
// with a registry of its own is never Podman's local one.
func TestNamesImage(t *testing.T) {
	for _, c := range []struct {
		name, ref string
		names     bool
	}{
		{"localhost/dttest/dockertutor/tokenrun:latest", "dttest/dockertutor/tokenrun", true},
		{"localhost/tokenrun:1", "tokenrun:1", true},
		{"dttest/x", "docker.io/dttest/x:latest", true},
		{"localhost/x:1", "x:2", false},
		{"localhost/registry:5000/x", "registry:5000/x", false},
		{"localhost/localhost/x", "localhost/x", false},
		{"localhost/other/x", "dttest/x", false},
		{"x", "localhost/x", false},
	} {
		if got := NamesImage(c.name, c.ref); got != c.names {
			t.Errorf("NamesImage(%q, %q) = %v, want %v", c.name, c.ref, got, c.names)
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
