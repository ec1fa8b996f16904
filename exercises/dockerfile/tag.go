package dockerfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// TagKind says how far an image reference can move under a learner's feet:
// whether pulling the same FROM line next month may give a different image.
// The values are stable strings so course specs and JSON can name them.
type TagKind string

const (
	// TagNone: no tag and no digest (`FROM node`); Docker reads it as :latest.
	TagNone TagKind = "none"
	// TagLatest: the tag `latest`.
	TagLatest TagKind = "latest"
	// TagMovingName: a named tag without version numbers or a known variant
	// (`lts`, `stable`, `edge`, `nightly`, or a project's own name such as
	// `prod`), which its publisher re-points to new releases.
	TagMovingName TagKind = "moving-name"
	// TagMajor: only a major version (`22`, `22-alpine`, `3-slim`).
	TagMajor TagKind = "major"
	// TagMajorMinor: major.minor (`22.11`, `3.12-slim-bookworm`, `22.04`).
	TagMajorMinor TagKind = "major-minor"
	// TagFullVersion: three or more version numbers (`22.11.0`,
	// `1.27.3-alpine`, `3.12.0a1`).
	TagFullVersion TagKind = "full-version"
	// TagVariantOnly: a variant with no version (`alpine`, `slim`,
	// `bookworm`, `lts-alpine`).
	TagVariantOnly TagKind = "variant-only"
	// TagDated: a date-stamped snapshot (`20241201`, `bookworm-20241202`).
	TagDated TagKind = "dated"
	// TagDigest: pinned by digest (`node@sha256:…`, `node:22@sha256:…`).
	TagDigest TagKind = "digest"
)

// TagKinds lists every kind, from the most to the least moving, for course
// validation and documentation.
func TagKinds() []TagKind {
	return []TagKind{TagNone, TagLatest, TagMovingName, TagVariantOnly, TagMajor,
		TagMajorMinor, TagFullVersion, TagDated, TagDigest}
}

// ParseTagKind reads a kind as a course author writes it.
func ParseTagKind(s string) (TagKind, error) {
	for _, k := range TagKinds() {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, 0, len(TagKinds()))
	for _, k := range TagKinds() {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("unknown tag kind %q (known: %s)", s, strings.Join(names, ", "))
}

// Description explains the kind to a learner.
func (k TagKind) Description() string {
	switch k {
	case TagNone:
		return "no tag, so Docker uses :latest, which moves to every new release"
	case TagLatest:
		return "the latest tag, which the publisher moves to every new release"
	case TagMovingName:
		return "a named tag (such as lts, stable or nightly) that the publisher moves to new releases"
	case TagMajor:
		return "a major-version tag, which moves to every new minor and patch release of that major version"
	case TagMajorMinor:
		return "a major.minor tag, which moves to new patch releases of that minor version for as long as its publisher makes them"
	case TagFullVersion:
		return "a full version, which the publisher may rebuild for OS fixes while it is the newest of its line, and then leaves as it is"
	case TagVariantOnly:
		return "a variant without a version (such as alpine, slim or bookworm), which moves to every new release of that variant"
	case TagDated:
		return "a date-stamped snapshot, which publishers do not move"
	case TagDigest:
		return "a digest, which names exactly one image and can never move"
	}
	return "an unknown kind of tag"
}

// Moves reports whether the publisher routinely points this kind of tag at
// new images. Full versions and dated snapshots count as not moving even
// though some publishers rebuild them; only a digest is immutable.
func (k TagKind) Moves() bool {
	switch k {
	case TagFullVersion, TagDated, TagDigest:
		return false
	}
	return true
}

// Tag is an image tag taken apart: what kind it is, its version numbers and
// its variant.
type Tag struct {
	// Tag as written, without the leading colon; "" when absent.
	Tag string `json:"tag,omitempty"`
	// Digest as written (sha256:…), "" when absent.
	Digest string  `json:"digest,omitempty"`
	Kind   TagKind `json:"kind"`
	// Version is the version part as written (`v1.2`, `22.04`, `3.12.0a1`).
	Version string `json:"version,omitempty"`
	// Numbers are the numeric components of Version: [22 4] for `22.04`.
	Numbers []int `json:"numbers,omitempty"`
	// Prerelease is a pre-release marker next to the version (`a1` in
	// `3.12.0a1`, `rc1` in `1.0.0-rc1`).
	Prerelease string `json:"prerelease,omitempty"`
	// Variant is the rest of the tag (`alpine3.20`, `slim-bookworm`).
	Variant string `json:"variant,omitempty"`
	// Channel is a release channel name (`lts` in `lts-alpine`, `nightly`).
	Channel string `json:"channel,omitempty"`
	// Date is a YYYYMMDD stamp in the tag (`20241202` in `bookworm-20241202`).
	Date string `json:"date,omitempty"`
}

// HasVariant reports whether the tag's variant includes the given one,
// ignoring a version glued to it: `alpine3.20` has the variant `alpine`,
// `slim-bookworm` has `slim` and `bookworm`.
func (t Tag) HasVariant(variant string) bool {
	if t.Variant == "" || variant == "" {
		return false
	}
	for _, part := range strings.Split(t.Variant, "-") {
		if strings.EqualFold(part, variant) || strings.EqualFold(variantWord(part), variant) {
			return true
		}
	}
	return false
}

// The classification rules, in order:
//
//  1. A digest wins: the reference is TagDigest whatever the tag says (the
//     tag is still taken apart, since it tells what the digest was).
//  2. No tag is TagNone; the exact tag `latest` is TagLatest.
//  3. The tag is split on '-'. If its first part is a version (an optional
//     v, dot-separated numbers, optionally a glued pre-release such as
//     `a1`, `rc1`, `beta`), the number count decides: one number is
//     TagMajor, two TagMajorMinor, three or more TagFullVersion. A part
//     right after the version that is a pre-release marker (`rc1`,
//     `beta`) is the Prerelease; the other parts form the Variant.
//  4. A part that is a date stamp (YYYYMMDD, optionally followed by
//     HHMM or HHMMSS, with a plausible month and day) makes the tag
//     TagDated, wherever it appears: `20241201`, `bookworm-20241202`.
//  5. Without a version: a first part that is a known release channel
//     (lts, stable, edge, nightly, mainline, …) is the Channel; if
//     nothing follows it is TagMovingName, otherwise the rest is the
//     Variant and the tag is TagVariantOnly (`lts-alpine`). A first part
//     that is a known variant word (alpine, slim, bookworm, jammy,
//     windowsservercore, …, possibly with a version glued on as in
//     `alpine3.20` or `ubi9`) makes the whole tag the Variant and
//     TagVariantOnly. Anything else is a name its publisher chose, and
//     names move: TagMovingName.
func classifyTag(tag, digest string) Tag {
	t := Tag{Tag: tag, Digest: digest}
	t.Kind = classifyTagParts(&t)
	if digest != "" {
		t.Kind = TagDigest
	}
	return t
}

func classifyTagParts(t *Tag) TagKind {
	tag := t.Tag
	switch tag {
	case "":
		return TagNone
	case "latest":
		return TagLatest
	}
	parts := strings.Split(tag, "-")
	var variant []string
	dated := false
	keepVariant := func(p string) {
		if p == "" { // "1--alpine": the reference grammar allows runs of dashes
			return
		}
		if isDateStamp(p) && t.Date == "" {
			t.Date = p
			dated = true
			return
		}
		variant = append(variant, p)
	}

	if version, numbers, pre, ok := parseVersion(parts[0]); ok {
		t.Version, t.Numbers, t.Prerelease = version, numbers, pre
		rest := parts[1:]
		if t.Prerelease == "" && len(rest) > 0 && isPrerelease(rest[0]) {
			t.Prerelease = rest[0]
			rest = rest[1:]
		}
		for _, p := range rest {
			keepVariant(p)
		}
		t.Variant = strings.Join(variant, "-")
		switch {
		case dated:
			return TagDated
		case len(numbers) == 1:
			return TagMajor
		case len(numbers) == 2:
			return TagMajorMinor
		default:
			return TagFullVersion
		}
	}

	if isDateStamp(parts[0]) {
		t.Date = parts[0]
		for _, p := range parts[1:] {
			keepVariant(p)
		}
		t.Variant = strings.Join(variant, "-")
		return TagDated
	}

	first := strings.ToLower(parts[0])
	switch {
	case releaseChannels[first]:
		t.Channel = parts[0]
		for _, p := range parts[1:] {
			keepVariant(p)
		}
		t.Variant = strings.Join(variant, "-")
		switch {
		case dated:
			return TagDated
		case t.Variant != "":
			return TagVariantOnly
		case first == "latest":
			return TagLatest
		default:
			return TagMovingName
		}
	case knownVariants[variantWord(first)]:
		for _, p := range parts {
			keepVariant(p)
		}
		t.Variant = strings.Join(variant, "-")
		if dated {
			return TagDated
		}
		return TagVariantOnly
	}
	return TagMovingName
}

// versionPattern: an optional v, dot-separated numbers, and an optional
// pre-release glued on (3.12.0a1, 1.0.0rc1, 2.0beta). Each number is at
// most 9 digits so it fits an int everywhere; longer runs are not versions.
var versionPattern = regexp.MustCompile(`^[vV]?([0-9]{1,9}(?:\.[0-9]{1,9})*)((?:a|b|alpha|beta|rc|pre|preview|dev)[0-9]*)?$`)

func parseVersion(s string) (version string, numbers []int, prerelease string, ok bool) {
	m := versionPattern.FindStringSubmatch(strings.ToLower(s))
	if m == nil || isDateStamp(s) {
		return "", nil, "", false
	}
	for _, f := range strings.Split(m[1], ".") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return "", nil, "", false
		}
		numbers = append(numbers, n)
	}
	if m[2] != "" {
		// Keep the marker as the learner wrote it (case included).
		prerelease = s[len(s)-len(m[2]):]
	}
	return s, numbers, prerelease, true
}

var prereleasePattern = regexp.MustCompile(`^(?:alpha|beta|rc|pre|preview|dev|snapshot)[.]?[0-9]*$`)

func isPrerelease(s string) bool {
	return prereleasePattern.MatchString(strings.ToLower(s))
}

// isDateStamp accepts YYYYMMDD, YYYYMMDDHHMM and YYYYMMDDHHMMSS with a year
// from 1990 to 2099 and a plausible month and day, so that build numbers
// such as 1809 or 20000 are not mistaken for dates.
func isDateStamp(s string) bool {
	if len(s) != 8 && len(s) != 12 && len(s) != 14 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	year, _ := strconv.Atoi(s[0:4])
	month, _ := strconv.Atoi(s[4:6])
	day, _ := strconv.Atoi(s[6:8])
	return year >= 1990 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31
}

// variantWord drops a version glued to a variant word: alpine3.20 -> alpine,
// ubi9 -> ubi, ltsc2022 -> ltsc.
func variantWord(s string) string {
	return strings.ToLower(strings.TrimRight(s, "0123456789."))
}

// releaseChannels are tag names that publishers re-point to new releases.
var releaseChannels = map[string]bool{
	"latest": true, "lts": true, "stable": true, "current": true, "edge": true,
	"nightly": true, "mainline": true, "rolling": true, "testing": true,
	"unstable": true, "devel": true, "develop": true, "dev": true, "beta": true,
	"alpha": true, "rc": true, "canary": true, "next": true, "preview": true,
	"insiders": true, "experimental": true, "main": true, "master": true,
	"trunk": true, "snapshot": true, "release": true, "daily": true,
	"weekly": true, "community": true, "enterprise": true,
}

// knownVariants are the variant words official and common images use: base
// distributions and their codenames, Windows bases, JDK/JRE and PHP flavours.
var knownVariants = map[string]bool{
	"alpine": true, "slim": true, "bookworm": true, "bullseye": true,
	"buster": true, "stretch": true, "jessie": true, "trixie": true,
	"forky": true, "sid": true, "bionic": true, "focal": true, "jammy": true,
	"noble": true, "oracular": true, "plucky": true, "xenial": true,
	"windowsservercore": true, "nanoserver": true, "servercore": true,
	"ltsc": true, "ubi": true, "distroless": true,
	"chiseled": true, "musl": true, "glibc": true, "uclibc": true,
	"busybox": true, "debian": true, "ubuntu": true, "centos": true,
	"rockylinux": true, "almalinux": true, "amazonlinux": true, "al": true,
	"oraclelinux": true, "azurelinux": true, "mariner": true, "cbl": true,
	"jdk": true, "jre": true, "fpm": true, "apache": true, "cli": true,
	"zts": true, "management": true, "perl": true, "otel": true,
	"minimal": true, "full": true, "scm": true, "curl": true,
}

// AsCodename reads the tag as naming a release line by its codename, when
// it does: for the line 22 named jod, `jod` reads as the major tag 22 and
// `jod-alpine` as 22-alpine, since the publisher points both where it
// points 22 and 22-alpine. ok is false when the tag does not start with
// the codename.
func (t Tag) AsCodename(codename string, line []int) (Tag, bool) {
	parts := strings.Split(t.Tag, "-")
	if codename == "" || len(line) == 0 || !strings.EqualFold(parts[0], codename) {
		return t, false
	}
	out := Tag{Tag: t.Tag, Digest: t.Digest, Version: parts[0], Numbers: append([]int(nil), line...)}
	var variant []string
	for _, p := range parts[1:] {
		switch {
		case p == "":
		case isDateStamp(p) && out.Date == "":
			out.Date = p
		default:
			variant = append(variant, p)
		}
	}
	out.Variant = strings.Join(variant, "-")
	switch {
	case t.Digest != "":
		out.Kind = TagDigest
	case out.Date != "":
		out.Kind = TagDated
	case len(line) == 1:
		out.Kind = TagMajor
	case len(line) == 2:
		out.Kind = TagMajorMinor
	default:
		out.Kind = TagFullVersion
	}
	return out, true
}
