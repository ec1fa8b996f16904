package dockerfile

import (
	"reflect"
	"testing"
)

func TestParseImageClassifiesTags(t *testing.T) {
	const sha = "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"
	tests := []struct {
		ref  string
		want Tag
	}{
		// No tag and latest.
		{"node", Tag{Kind: TagNone}},
		{"node:latest", Tag{Tag: "latest", Kind: TagLatest}},
		{"localhost:5000/x", Tag{Kind: TagNone}},

		// Moving names.
		{"node:lts", Tag{Tag: "lts", Kind: TagMovingName, Channel: "lts"}},
		{"alpine:edge", Tag{Tag: "edge", Kind: TagMovingName, Channel: "edge"}},
		{"nginx:mainline", Tag{Tag: "mainline", Kind: TagMovingName, Channel: "mainline"}},
		{"rust:nightly", Tag{Tag: "nightly", Kind: TagMovingName, Channel: "nightly"}},
		{"node:current", Tag{Tag: "current", Kind: TagMovingName, Channel: "current"}},
		{"myapp:prod", Tag{Tag: "prod", Kind: TagMovingName}},

		// Major only.
		{"node:22", Tag{Tag: "22", Kind: TagMajor, Version: "22", Numbers: []int{22}}},
		{"node:22-alpine", Tag{Tag: "22-alpine", Kind: TagMajor, Version: "22", Numbers: []int{22}, Variant: "alpine"}},
		{"python:3-slim", Tag{Tag: "3-slim", Kind: TagMajor, Version: "3", Numbers: []int{3}, Variant: "slim"}},
		{"localhost:5000/x:1", Tag{Tag: "1", Kind: TagMajor, Version: "1", Numbers: []int{1}}},
		{"eclipse-temurin:21-jre-alpine", Tag{Tag: "21-jre-alpine", Kind: TagMajor, Version: "21", Numbers: []int{21}, Variant: "jre-alpine"}},
		{"mcr.microsoft.com/windows/servercore:1809", Tag{Tag: "1809", Kind: TagMajor, Version: "1809", Numbers: []int{1809}}},

		// Major.minor.
		{"node:22.11", Tag{Tag: "22.11", Kind: TagMajorMinor, Version: "22.11", Numbers: []int{22, 11}}},
		{"python:3.12-slim-bookworm", Tag{Tag: "3.12-slim-bookworm", Kind: TagMajorMinor, Version: "3.12", Numbers: []int{3, 12}, Variant: "slim-bookworm"}},
		{"ubuntu:22.04", Tag{Tag: "22.04", Kind: TagMajorMinor, Version: "22.04", Numbers: []int{22, 4}}},
		{"example/tool:v1.2", Tag{Tag: "v1.2", Kind: TagMajorMinor, Version: "v1.2", Numbers: []int{1, 2}}},
		{"python:3.13-rc-alpine", Tag{Tag: "3.13-rc-alpine", Kind: TagMajorMinor, Version: "3.13", Numbers: []int{3, 13}, Prerelease: "rc", Variant: "alpine"}},
		{"alpine:3.20", Tag{Tag: "3.20", Kind: TagMajorMinor, Version: "3.20", Numbers: []int{3, 20}}},

		// Full versions.
		{"node:22.11.0", Tag{Tag: "22.11.0", Kind: TagFullVersion, Version: "22.11.0", Numbers: []int{22, 11, 0}}},
		{"nginx:1.27.3-alpine", Tag{Tag: "1.27.3-alpine", Kind: TagFullVersion, Version: "1.27.3", Numbers: []int{1, 27, 3}, Variant: "alpine"}},
		{"nginx:1.27.3-alpine3.20", Tag{Tag: "1.27.3-alpine3.20", Kind: TagFullVersion, Version: "1.27.3", Numbers: []int{1, 27, 3}, Variant: "alpine3.20"}},
		{"python:3.12.0a1", Tag{Tag: "3.12.0a1", Kind: TagFullVersion, Version: "3.12.0a1", Numbers: []int{3, 12, 0}, Prerelease: "a1"}},
		{"example/app:1.0.0-rc1", Tag{Tag: "1.0.0-rc1", Kind: TagFullVersion, Version: "1.0.0", Numbers: []int{1, 0, 0}, Prerelease: "rc1"}},
		{"example/app:V2.0.0-RC.1-slim", Tag{Tag: "V2.0.0-RC.1-slim", Kind: TagFullVersion, Version: "V2.0.0", Numbers: []int{2, 0, 0}, Prerelease: "RC.1", Variant: "slim"}},
		{"example/app:1.2.3.4", Tag{Tag: "1.2.3.4", Kind: TagFullVersion, Version: "1.2.3.4", Numbers: []int{1, 2, 3, 4}}},
		{"mcr.microsoft.com/dotnet/sdk:8.0.100-nanoserver-ltsc2022", Tag{Tag: "8.0.100-nanoserver-ltsc2022", Kind: TagFullVersion, Version: "8.0.100", Numbers: []int{8, 0, 100}, Variant: "nanoserver-ltsc2022"}},

		// Variant only.
		{"node:alpine", Tag{Tag: "alpine", Kind: TagVariantOnly, Variant: "alpine"}},
		{"python:slim", Tag{Tag: "slim", Kind: TagVariantOnly, Variant: "slim"}},
		{"debian:bookworm", Tag{Tag: "bookworm", Kind: TagVariantOnly, Variant: "bookworm"}},
		{"debian:bookworm-slim", Tag{Tag: "bookworm-slim", Kind: TagVariantOnly, Variant: "bookworm-slim"}},
		{"node:lts-alpine", Tag{Tag: "lts-alpine", Kind: TagVariantOnly, Channel: "lts", Variant: "alpine"}},
		{"node:alpine3.20", Tag{Tag: "alpine3.20", Kind: TagVariantOnly, Variant: "alpine3.20"}},
		{"mcr.microsoft.com/windows/servercore:ltsc2022", Tag{Tag: "ltsc2022", Kind: TagVariantOnly, Variant: "ltsc2022"}},
		{"golang:windowsservercore", Tag{Tag: "windowsservercore", Kind: TagVariantOnly, Variant: "windowsservercore"}},

		// Date stamps.
		{"example/nightly:20241201", Tag{Tag: "20241201", Kind: TagDated, Date: "20241201"}},
		{"debian:bookworm-20241202", Tag{Tag: "bookworm-20241202", Kind: TagDated, Variant: "bookworm", Date: "20241202"}},
		{"ubuntu:jammy-20240911", Tag{Tag: "jammy-20240911", Kind: TagDated, Variant: "jammy", Date: "20240911"}},
		{"debian:bookworm-20241202-slim", Tag{Tag: "bookworm-20241202-slim", Kind: TagDated, Variant: "bookworm-slim", Date: "20241202"}},
		// Not dates: a month of 13, too few digits.
		{"example/app:20241301", Tag{Tag: "20241301", Kind: TagMajor, Version: "20241301", Numbers: []int{20241301}}},

		// Digests win over tags, which are still taken apart.
		{"node@" + sha, Tag{Digest: sha, Kind: TagDigest}},
		{"node:22-alpine@" + sha, Tag{Tag: "22-alpine", Digest: sha, Kind: TagDigest, Version: "22", Numbers: []int{22}, Variant: "alpine"}},
		{"localhost:5000/x:1@" + sha, Tag{Tag: "1", Digest: sha, Kind: TagDigest, Version: "1", Numbers: []int{1}}},

		// Runs of dashes are allowed and ignored.
		{"example/app:1--alpine", Tag{Tag: "1--alpine", Kind: TagMajor, Version: "1", Numbers: []int{1}, Variant: "alpine"}},

		// A number too long for a version is a name.
		{"example/app:1234567890", Tag{Tag: "1234567890", Kind: TagMovingName}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			img, err := ParseImage(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(img.Tag, tt.want) {
				t.Errorf("ParseImage(%q).Tag =\n  %+v\nwant\n  %+v", tt.ref, img.Tag, tt.want)
			}
		})
	}
}

func TestParseImageNames(t *testing.T) {
	tests := []struct {
		ref                               string
		reference, familiar, name, domain string
		path                              string
		official                          bool
	}{
		{"node", "docker.io/library/node:latest", "node:latest", "node", "docker.io", "library/node", true},
		{"node:22", "docker.io/library/node:22", "node:22", "node", "docker.io", "library/node", true},
		{"library/node:22", "docker.io/library/node:22", "node:22", "node", "docker.io", "library/node", true},
		{"docker.io/library/node:22", "docker.io/library/node:22", "node:22", "node", "docker.io", "library/node", true},
		{"bitnami/redis:7.4", "docker.io/bitnami/redis:7.4", "bitnami/redis:7.4", "bitnami/redis", "docker.io", "bitnami/redis", false},
		{"ghcr.io/library/node:22", "ghcr.io/library/node:22", "ghcr.io/library/node:22", "ghcr.io/library/node", "ghcr.io", "library/node", false},
		{"localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000/x", "localhost:5000", "x", false},
		{"localhost/x", "localhost/x:latest", "localhost/x:latest", "localhost/x", "localhost", "x", false},
		{"registry.example.com:443/team/app:2", "registry.example.com:443/team/app:2", "registry.example.com:443/team/app:2", "registry.example.com:443/team/app", "registry.example.com:443", "team/app", false},
	}
	for _, tt := range tests {
		img, err := ParseImage(tt.ref)
		if err != nil {
			t.Errorf("ParseImage(%q): %v", tt.ref, err)
			continue
		}
		got := []any{img.Reference, img.Familiar, img.Name, img.Domain, img.Path, img.Official}
		want := []any{tt.reference, tt.familiar, tt.name, tt.domain, tt.path, tt.official}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseImage(%q) = %v, want %v", tt.ref, got, want)
		}
	}
}

func TestParseImageRejectsInvalidReferences(t *testing.T) {
	for _, ref := range []string{"Node:22", "node:", "node:22:1", "", "node@sha256:short", "-node"} {
		if img, err := ParseImage(ref); err == nil {
			t.Errorf("ParseImage(%q) = %+v, want an error", ref, img)
		}
	}
}

func TestTagKindsRoundTripAndDescribe(t *testing.T) {
	for _, k := range TagKinds() {
		got, err := ParseTagKind(string(k))
		if err != nil || got != k {
			t.Errorf("ParseTagKind(%q) = %q, %v", k, got, err)
		}
		if k.Description() == TagKind("bogus").Description() {
			t.Errorf("%q has no description of its own", k)
		}
	}
	if _, err := ParseTagKind("pinned"); err == nil {
		t.Error("ParseTagKind accepted an unknown kind")
	}
	moving := map[TagKind]bool{}
	for _, k := range TagKinds() {
		moving[k] = k.Moves()
	}
	want := map[TagKind]bool{TagNone: true, TagLatest: true, TagMovingName: true, TagVariantOnly: true,
		TagMajor: true, TagMajorMinor: true, TagFullVersion: false, TagDated: false, TagDigest: false}
	if !reflect.DeepEqual(moving, want) {
		t.Errorf("Moves() = %v, want %v", moving, want)
	}
}

func TestTagHasVariant(t *testing.T) {
	img, err := ParseImage("nginx:1.27.3-alpine3.20-slim")
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{"alpine": true, "alpine3.20": true, "slim": true, "bookworm": false, "": false, "3.20": false} {
		if got := img.Tag.HasVariant(v); got != want {
			t.Errorf("HasVariant(%q) = %v, want %v", v, got, want)
		}
	}
}
