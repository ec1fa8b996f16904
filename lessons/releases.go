package lessons

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"go.yaml.in/yaml/v3"

	"github.com/dockertutor/dockertutor/internal/digest"
)

// Releases is the course's dated table of the release lines of the images
// it names: which lines exist, which ended and when, and digests the
// course knows. The base-image checks read their facts from it, so a pack
// states them once and `course lint` says when they grow old.
type Releases struct {
	// AsOf is the day the table was last brought up to date.
	AsOf   Date           `yaml:"as-of"`
	Images []ReleaseImage `yaml:"images"`

	line int // of releases: in course.yaml, for warnings
}

// ReleaseImage is the release lines of one repository.
type ReleaseImage struct {
	// Repository is the image as Docker names it in short: node,
	// 127.0.0.1:5000/node.
	Repository string        `yaml:"repository"`
	Lines      []ReleaseLine `yaml:"lines"`
	// Digests are repository digests the course knows to be real, for
	// checking a digest pin where neither the daemon nor the registry can.
	Digests []KnownDigest `yaml:"digests"`
}

// ReleaseLine is one line of versions that gets fixes together: a major
// version (22) or a major.minor (3.22), as the project numbers them.
type ReleaseLine struct {
	Version   string     `yaml:"version"`
	Codename  string     `yaml:"codename"` // tags may name the line by it: node:jod
	Status    LineStatus `yaml:"status"`
	EndOfLife Date       `yaml:"end-of-life"`
	// Last is the line's final release, once it has ended; a higher
	// version of the line cannot exist.
	Last string `yaml:"last"`
}

// KnownDigest is a repository digest seen for a tag on a day.
type KnownDigest struct {
	Digest string `yaml:"digest"`
	Tag    string `yaml:"tag"`
	Seen   Date   `yaml:"seen"`
}

// LineStatus is where a release line is in its life.
type LineStatus string

const (
	StatusCurrent        LineStatus = "current"         // released, not (yet) long-term support
	StatusActiveLTS      LineStatus = "active-lts"      // long-term support, still getting improvements
	StatusMaintenanceLTS LineStatus = "maintenance-lts" // long-term support, fixes only
	StatusEnded          LineStatus = "ended"           // no more fixes
)

var lineStatuses = []LineStatus{StatusCurrent, StatusActiveLTS, StatusMaintenanceLTS, StatusEnded}

// Describe words the status for a learner.
func (s LineStatus) Describe() string {
	switch s {
	case StatusActiveLTS:
		return "active LTS"
	case StatusMaintenanceLTS:
		return "maintenance LTS"
	}
	return string(s)
}

// Date is a calendar day, written 2026-12-01.
type Date struct{ time.Time }

const dateLayout = "2006-01-02"

// UnmarshalYAML reads a day as the author wrote it, quoted or not.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse(dateLayout, n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a date: write it as 2026-12-01", n.Line, n.Value)
	}
	d.Time = t
	return nil
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(dateLayout)
}

// StaleAfter is how old a release table may grow before `course lint`
// warns: lines change status every few months.
const StaleAfter = 120 * 24 * time.Hour

// Image finds the table of a repository, compared as Docker names it
// (node is docker.io/library/node).
func (r *Releases) Image(repository string) (*ReleaseImage, bool) {
	if r == nil {
		return nil, false
	}
	want := normalRepository(repository)
	for i := range r.Images {
		if normalRepository(r.Images[i].Repository) == want {
			return &r.Images[i], true
		}
	}
	return nil, false
}

func normalRepository(name string) string {
	if n, err := reference.ParseNormalizedNamed(name); err == nil {
		return n.Name()
	}
	return name
}

// LineOf finds the line a version's numbers belong to: the line whose
// version numbers are the first numbers of the version.
func (im *ReleaseImage) LineOf(numbers []int) (*ReleaseLine, bool) {
	for i := range im.Lines {
		ln := VersionNumbers(im.Lines[i].Version)
		if len(ln) <= len(numbers) && slices.Equal(ln, numbers[:len(ln)]) {
			return &im.Lines[i], true
		}
	}
	return nil, false
}

// Codename finds the line a codename names (case does not matter).
func (im *ReleaseImage) Codename(name string) (*ReleaseLine, bool) {
	for i := range im.Lines {
		if c := im.Lines[i].Codename; c != "" && strings.EqualFold(c, name) {
			return &im.Lines[i], true
		}
	}
	return nil, false
}

// Newest is the line with the highest version.
func (im *ReleaseImage) Newest() *ReleaseLine {
	var best *ReleaseLine
	for i := range im.Lines {
		if best == nil || CompareVersions(im.Lines[i].Version, best.Version) > 0 {
			best = &im.Lines[i]
		}
	}
	return best
}

// Oldest is the line with the lowest version.
func (im *ReleaseImage) Oldest() *ReleaseLine {
	var best *ReleaseLine
	for i := range im.Lines {
		if best == nil || CompareVersions(im.Lines[i].Version, best.Version) < 0 {
			best = &im.Lines[i]
		}
	}
	return best
}

// Supported are the lines still getting fixes on the day, oldest first.
func (im *ReleaseImage) Supported(day time.Time) []ReleaseLine {
	var out []ReleaseLine
	for _, l := range im.Lines {
		if !l.Ended(day) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b ReleaseLine) int { return CompareVersions(a.Version, b.Version) })
	return out
}

// Known finds a digest the course knows for the repository.
func (im *ReleaseImage) Known(digest string) (KnownDigest, bool) {
	i := slices.IndexFunc(im.Digests, func(k KnownDigest) bool { return strings.EqualFold(k.Digest, digest) })
	if i < 0 {
		return KnownDigest{}, false
	}
	return im.Digests[i], true
}

// Ended reports whether the line gets no more fixes on the day: the table
// says so, or its end of life has passed since.
func (l ReleaseLine) Ended(day time.Time) bool {
	return l.Status == StatusEnded || !l.EndOfLife.IsZero() && !day.Before(l.EndOfLife.AddDate(0, 0, 1))
}

// Describe words the line for a learner: "22 (Jod, maintenance LTS until 2027-04-30)".
func (l ReleaseLine) Describe(day time.Time) string {
	var parts []string
	if l.Codename != "" {
		parts = append(parts, strings.ToUpper(l.Codename[:1])+l.Codename[1:])
	}
	switch {
	case l.Ended(day) && !l.EndOfLife.IsZero():
		parts = append(parts, "ended "+l.EndOfLife.String())
	case l.Ended(day):
		parts = append(parts, "ended")
	case !l.EndOfLife.IsZero():
		parts = append(parts, l.Status.Describe()+" until "+l.EndOfLife.String())
	default:
		parts = append(parts, l.Status.Describe())
	}
	return l.Version + " (" + strings.Join(parts, ", ") + ")"
}

// VersionNumbers reads "22", "3.22" or "18.20.8" as numbers; nil when it
// is not such a version.
func VersionNumbers(v string) []int {
	var out []int
	for _, f := range strings.Split(v, ".") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || f == "" {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// CompareVersions orders dotted versions by their numbers: 3.9 < 3.22.
func CompareVersions(a, b string) int {
	return slices.Compare(VersionNumbers(a), VersionNumbers(b))
}

// validate reports what is wrong with the table, at lines of course.yaml.
func (r *Releases) validate(root *yaml.Node, ps *Problems) {
	relNode := valueOf(root, "releases")
	at := func(n *yaml.Node, key string) int {
		if v := valueOf(n, key); v != nil {
			return v.Line
		}
		if n != nil {
			return n.Line
		}
		return keyLine(root, "releases", 0)
	}
	if r.AsOf.IsZero() {
		ps.add(ManifestFile, at(relNode, "as-of"), "releases: as-of is required: the day the table was last brought up to date")
	}
	images := seqOf(relNode, "images")
	seenRepo := map[string]bool{}
	for i, im := range r.Images {
		imNode := item(images, i)
		if _, err := reference.ParseNormalizedNamed(im.Repository); err != nil || im.Repository == "" {
			ps.add(ManifestFile, at(imNode, "repository"), "releases: repository %q is not an image name such as node", im.Repository)
		} else if seenRepo[normalRepository(im.Repository)] {
			ps.add(ManifestFile, at(imNode, "repository"), "releases: repository %q is listed twice", im.Repository)
		}
		seenRepo[normalRepository(im.Repository)] = true
		lines := seqOf(imNode, "lines")
		if len(im.Lines) == 0 {
			ps.add(ManifestFile, at(imNode, "repository"), "releases: %s has no lines", im.Repository)
		}
		seenVersion := map[string]bool{}
		for j, l := range im.Lines {
			ln := item(lines, j)
			if VersionNumbers(l.Version) == nil {
				ps.add(ManifestFile, at(ln, "version"), "releases: version %q: write the line's numbers, such as 22 or 3.22", l.Version)
			} else if seenVersion[l.Version] {
				ps.add(ManifestFile, at(ln, "version"), "releases: line %s of %s is listed twice", l.Version, im.Repository)
			}
			seenVersion[l.Version] = true
			if !slices.Contains(lineStatuses, l.Status) {
				ps.add(ManifestFile, at(ln, "status"), "releases: status %q: use one of %s", l.Status, joinStatuses())
			}
			if l.EndOfLife.IsZero() {
				ps.add(ManifestFile, at(ln, "end-of-life"), "releases: line %s of %s needs end-of-life, the day its fixes stop", l.Version, im.Repository)
			}
			if !r.AsOf.IsZero() && !l.EndOfLife.IsZero() {
				if l.Status == StatusEnded && l.EndOfLife.After(r.AsOf.Time) {
					ps.add(ManifestFile, at(ln, "status"), "releases: line %s is ended, but its end-of-life %s is after as-of %s", l.Version, l.EndOfLife, r.AsOf)
				}
				if l.Status != StatusEnded && l.EndOfLife.Before(r.AsOf.Time) {
					ps.add(ManifestFile, at(ln, "status"), "releases: line %s ended on %s, before as-of %s: its status is ended", l.Version, l.EndOfLife, r.AsOf)
				}
			}
			if l.Last != "" {
				n := VersionNumbers(l.Last)
				if n == nil || len(n) <= len(VersionNumbers(l.Version)) || !strings.HasPrefix(l.Last, l.Version+".") {
					ps.add(ManifestFile, at(ln, "last"), "releases: last %q must be a full version of line %s, such as %s.20.8", l.Last, l.Version, l.Version)
				}
				if l.Status != StatusEnded {
					ps.add(ManifestFile, at(ln, "last"), "releases: last is the final release of an ended line; line %s has not ended", l.Version)
				}
			}
			if l.Codename != "" {
				if _, err := strconv.Atoi(l.Codename); err == nil || strings.ContainsAny(l.Codename, ".-:@/ ") {
					ps.add(ManifestFile, at(ln, "codename"), "releases: codename %q must be a word, as in node:jod", l.Codename)
				}
			}
		}
		digests := seqOf(imNode, "digests")
		for j, d := range im.Digests {
			dn := item(digests, j)
			if !digestPattern.MatchString(d.Digest) {
				ps.add(ManifestFile, at(dn, "digest"), "releases: digest %q: write sha256: and 64 lower-case hex digits", d.Digest)
			}
			if d.Tag == "" {
				ps.add(ManifestFile, at(dn, "tag"), "releases: digest %s needs the tag it was seen for", digest.Short(d.Digest))
			} else if _, err := reference.ParseNormalizedNamed(im.Repository + ":" + d.Tag); err != nil {
				ps.add(ManifestFile, at(dn, "tag"), "releases: tag %q: %v", d.Tag, err)
			}
			if d.Seen.IsZero() {
				ps.add(ManifestFile, at(dn, "seen"), "releases: digest %s needs seen, the day it was seen for its tag", digest.Short(d.Digest))
			}
		}
	}
}

func joinStatuses() string {
	s := make([]string, len(lineStatuses))
	for i, st := range lineStatuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

// Warnings are what `course lint` says about a table that is still valid
// but may no longer be true: one older than StaleAfter on the day.
func (r *Releases) Warnings(day time.Time) Problems {
	if r == nil || r.AsOf.IsZero() || day.Sub(r.AsOf.Time) <= StaleAfter {
		return nil
	}
	age := day.Sub(r.AsOf.Time)
	var ps Problems
	ps.add(ManifestFile, r.line, "releases: the table is as of %s, %d months ago: check each line's status and end-of-life (and add the lines released since), then set as-of to the day you checked",
		r.AsOf, int(age.Hours()/24/30))
	return ps
}

// digestPattern is a repository digest as the release table and the
// images' pins write it.
var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// valueOf is the value of key in a mapping node, nil when absent.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// seqOf is the sequence under key, nil when absent or not a sequence.
func seqOf(m *yaml.Node, key string) *yaml.Node {
	if v := valueOf(m, key); v != nil && v.Kind == yaml.SequenceNode {
		return v
	}
	return nil
}

// item is the i-th node of a sequence, nil when there is none.
func item(seq *yaml.Node, i int) *yaml.Node {
	if seq == nil || i >= len(seq.Content) {
		return nil
	}
	return seq.Content[i]
}

// Releases is the course's release table, nil when it has none.
func (v Values) Releases() *Releases {
	if v.names.course == nil {
		return nil
	}
	return v.names.course.Releases
}

// Pins are the course's base images with the digests it pins them to.
func (v Values) Pins() []BaseImage {
	if v.names.course == nil {
		return nil
	}
	return v.names.course.Images
}

// SampleImageID stands in for a local image's ID where no daemon is asked
// (linting a pack).
const SampleImageID = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// ImageID is the ID of a local image ({{.ImageID "alpine:3.22"}} in a
// template): the digest of its config, which is not a repository digest
// and cannot be pulled. It exists for must-fail attempts that put an
// image ID where a digest belongs, so they need no hard-coded ID. Without
// a daemon to ask (linting), it is SampleImageID.
func (v Values) ImageID(ref string) (string, error) {
	if v.imageIDs == nil {
		return SampleImageID, nil
	}
	id, err := v.imageIDs(ref)
	if err != nil {
		return "", fmt.Errorf("the ID of image %s: %w", ref, err)
	}
	return id, nil
}
