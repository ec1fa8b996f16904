package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

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

// askCounter answers /version as Podman would, after failing as often as
// told, and counts the questions.
type askCounter struct {
	Client
	asked, failFirst int
}

func (a *askCounter) ServerVersion(context.Context, client.ServerVersionOptions) (client.ServerVersionResult, error) {
	a.asked++
	if a.asked <= a.failFirst {
		return client.ServerVersionResult{}, errors.New("connection refused")
	}
	return client.ServerVersionResult{Components: []system.ComponentVersion{{Name: podmanComponent, Version: "4.3.1"}}}, nil
}

func TestRememberVersionAsksOnceAndNeverRemembersAnError(t *testing.T) {
	ask := &askCounter{failFirst: 1}
	c := RememberVersion(ask)
	if _, _, err := IsPodman(context.Background(), c); err == nil {
		t.Fatal("the first question failed, and so must the answer")
	}
	for range 3 {
		podman, version, err := IsPodman(context.Background(), c)
		if err != nil || !podman || version != "4.3.1" {
			t.Fatalf("IsPodman = %v %q %v", podman, version, err)
		}
	}
	if ask.asked != 2 {
		t.Errorf("the daemon was asked %d times, want 2 (the error, then one answer)", ask.asked)
	}
	if RememberVersion(c) != c {
		t.Error("a client that remembers is wrapped again")
	}
}
