package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockerfile"
	"github.com/dockertutor/dockertutor/internal/digest"
	"github.com/dockertutor/dockertutor/lessons"
)

// OfflineRegistriesEnv names the registries the tutor never asks the
// daemon to look a tag or digest up in (comma-separated domains such as
// docker.io, or * for all). Tests and CI set it to docker.io: the build
// machines must send nothing past loopback.
const OfflineRegistriesEnv = "DOCKERTUTOR_OFFLINE_REGISTRIES"

// today is the day end-of-life dates are compared with; tests set it.
var today = time.Now

// RegistryOffline says whether OfflineRegistriesEnv names the registry
// domain, so that nothing asks it over the network.
func RegistryOffline(domain string) bool {
	for _, d := range strings.Split(os.Getenv(OfflineRegistriesEnv), ",") {
		d = strings.TrimSpace(d)
		if d == "*" || d != "" && strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// withCodename reads a codename tag (node:jod, node:krypton-alpine) as the
// line it names, when the course's release table knows the codename.
func withCodename(img *dockerfile.Image, rel *lessons.Releases) *lessons.ReleaseLine {
	im, ok := rel.Image(img.Name)
	if !ok || img.Tag.Tag == "" {
		return nil
	}
	first, _, _ := strings.Cut(img.Tag.Tag, "-")
	line, ok := im.Codename(first)
	if !ok {
		return nil
	}
	if t, ok := img.Tag.AsCodename(line.Codename, lessons.VersionNumbers(line.Version)); ok {
		img.Tag = t
		return line
	}
	return nil
}

// verification is what verifying one base image found: problems fail the
// check; notes say what could not be checked and why; err means it could
// not be made at all (the daemon did not answer where it had to).
type verification struct {
	problems []string
	notes    []string
	passes   []string
	err      error
}

// verifyBase holds a base image to the facts: its release line, and that
// its tag or digest is real.
func verifyBase(ctx context.Context, env Env, img *dockerfile.Image) verification {
	var v verification
	rel := env.Values.Releases()
	im, hasTable := rel.Image(img.Name)
	if hasTable {
		if t := img.Tag.Tag; t != strings.ToLower(t) {
			// The tutor reads codenames and variants whatever their case;
			// a registry does not.
			v.problems = append(v.problems, fmt.Sprintf("the tag %s:%s cannot be pulled: tags are case-sensitive and %s writes its tags in lower case (%s:%s)",
				img.Name, t, img.Name, img.Name, strings.ToLower(t)))
			return v
		}
		v.line(img, im, rel.AsOf)
		if len(v.problems) > 0 {
			return v // an ended or impossible line: the registry adds nothing
		}
	}
	if img.Tag.Digest != "" {
		v.digest(ctx, env, img, im)
		return v
	}
	v.tag(ctx, env, img)
	return v
}

// line checks the tag's release line against the table.
func (v *verification) line(img *dockerfile.Image, im *lessons.ReleaseImage, asOf lessons.Date) {
	t := img.Tag
	if len(t.Numbers) == 0 {
		return // lts, alpine, latest: a moving name, no line to judge
	}
	day := today()
	name := img.Name
	supported := describeLines(im.Supported(day), day)
	line, ok := im.LineOf(t.Numbers)
	switch {
	case ok && line.Ended(day):
		v.problems = append(v.problems, fmt.Sprintf("the base %s:%s is on the %s line, which stopped getting fixes on %s; lines still supported: %s",
			name, t.Tag, line.Version, line.EndOfLife, supported))
		if line.Last != "" && len(t.Numbers) >= 3 && lessons.CompareVersions(joinNumbers(t.Numbers), line.Last) > 0 {
			v.problems = append(v.problems, fmt.Sprintf("and %s cannot exist: the last %s release was %s", joinNumbers(t.Numbers), line.Version, line.Last))
		}
	case ok && t.Prerelease != "":
		v.problems = append(v.problems, fmt.Sprintf("the base %s:%s is a pre-release (%s): pre-releases are for trying a release out and get no fixes once it is out; pin a release, such as %s:%s",
			name, t.Tag, t.Prerelease, name, joinNumbers(t.Numbers)))
	case ok:
		v.passes = append(v.passes, fmt.Sprintf("line %s", line.Describe(day)))
	case newerThanAll(im, t.Numbers):
		v.problems = append(v.problems, fmt.Sprintf("the base %s:%s cannot exist: the newest %s line is %s (the course's release table, as of %s); lines still supported: %s",
			name, t.Tag, name, im.Newest().Version, asOf, supported))
	case olderThanAll(im, t.Numbers):
		oldest := im.Oldest()
		v.problems = append(v.problems, fmt.Sprintf("the base %s:%s is older than the %s line, which itself ended on %s; lines still supported: %s",
			name, t.Tag, oldest.Version, oldest.EndOfLife, supported))
	}
}

func joinNumbers(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ".")
}

func describeLines(lines []lessons.ReleaseLine, day time.Time) string {
	if len(lines) == 0 {
		return "none"
	}
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = l.Describe(day)
	}
	return strings.Join(s, ", ")
}

// newerThanAll: the version's line is above every line in the table.
func newerThanAll(im *lessons.ReleaseImage, numbers []int) bool {
	n := im.Newest()
	return n != nil && compareLine(numbers, n.Version) > 0
}

func olderThanAll(im *lessons.ReleaseImage, numbers []int) bool {
	o := im.Oldest()
	return o != nil && compareLine(numbers, o.Version) < 0
}

// compareLine compares a version with a line on the line's own numbers:
// 27.1.0 is above the line 26, 3.19.4 below the line 3.20.
func compareLine(numbers []int, line string) int {
	ln := lessons.VersionNumbers(line)
	k := min(len(ln), len(numbers))
	return slices.Compare(numbers[:k], ln[:k])
}

// digest confirms a digest pin: a repository digest of this repository
// that a local image carries, that the course knows, or that the registry
// has; a local image ID in its place fails, saying how to get the
// repository digest.
func (v *verification) digest(ctx context.Context, env Env, img *dockerfile.Image, im *lessons.ReleaseImage) {
	dg := img.Tag.Digest
	repo := img.Name
	var imageOf []string // the tags of the local image whose ID this is
	isImageID := false
	if env.Docker != nil {
		list, err := env.Docker.ImageList(ctx, client.ImageListOptions{All: true})
		if err != nil {
			if client.IsErrConnectionFailed(err) {
				v.err = fmt.Errorf("%w: %v", ErrDockerUnreachable, err)
			} else {
				v.err = err
			}
			return
		}
		for _, it := range list.Items {
			for _, rd := range it.RepoDigests {
				if sameRepoDigest(rd, img, dg) {
					v.passes = append(v.passes, fmt.Sprintf("%s is the repository digest of a %s image on your daemon", digest.Short(dg), repo))
					return
				}
			}
			if it.ID == dg {
				isImageID, imageOf = true, it.RepoTags
			}
		}
	}
	if im != nil {
		if k, ok := im.Known(dg); ok {
			if p := knownLineMismatch(img, im, k); p != "" {
				v.problems = append(v.problems, p)
				return
			}
			v.passes = append(v.passes, fmt.Sprintf("%s is the digest of %s:%s on %s (the course's release table)", digest.Short(dg), repo, k.Tag, k.Seen))
			return
		}
	}
	if pin, ok := coursePin(env.Values.Pins(), img, dg); ok {
		if pinTag := TagOf(pin.Ref); pinTag != cmpTag(img) {
			v.problems = append(v.problems, fmt.Sprintf("the digest %s is %s's, as the course pins it, but the tag says %s: whoever reads the line is misled; write %s:%s@%s",
				digest.Short(dg), pin.Ref, cmpTag(img), repo, pinTag, digest.Short(dg)))
			return
		}
		v.passes = append(v.passes, fmt.Sprintf("%s is the digest the course pins %s to", digest.Short(dg), pin.Ref))
		return
	}
	if env.Docker == nil {
		v.err = ErrDockerUnreachable
		return
	}
	// With the containerd image store an image's ID is its manifest
	// digest, which a registry may well have: only the registry tells an
	// image ID from a repository digest there.
	found, why := v.askRegistry(ctx, env, img)
	switch {
	case found:
		v.passes = append(v.passes, fmt.Sprintf("the registry %s has %s", img.Domain, digest.Short(dg)))
	case isImageID:
		tags := "an untagged image"
		if len(imageOf) > 0 {
			tags = strings.Join(imageOf, ", ")
		}
		v.problems = append(v.problems, fmt.Sprintf("the digest %s is the image ID of %s on your daemon, not a repository digest of %s: the registry does not know it, so a FROM line cannot pull it. "+
			"Get the repository digest with `docker images --digests %s` or `docker inspect --format '{{index .RepoDigests 0}}' %s`", digest.Short(dg), tags, repo, repo, repo+":"+cmpTag(img)))
	case why == "":
		v.problems = append(v.problems, fmt.Sprintf("the registry %s has no %s image with the digest %s", img.Domain, repo, digest.Short(dg)))
	default:
		v.problems = append(v.problems, fmt.Sprintf("the digest %s could not be confirmed as a %s digest: no local image carries it, the course does not know it, and %s. "+
			"To make it checkable, pull the image (`docker pull %s`), then copy its digest from `docker images --digests %s`", digest.Short(dg), repo, why, repo+":"+cmpTag(img), repo))
	}
}

// tag checks that a version tag exists: on the daemon, or in the registry.
func (v *verification) tag(ctx context.Context, env Env, img *dockerfile.Image) {
	if env.Docker == nil {
		v.notes = append(v.notes, fmt.Sprintf("whether %s exists (Docker does not answer)", img.Familiar))
		return
	}
	if _, err := env.Docker.ImageInspect(ctx, img.Familiar); err == nil {
		v.passes = append(v.passes, img.Familiar+" is on your daemon")
		return
	} else if client.IsErrConnectionFailed(err) {
		v.err = fmt.Errorf("%w: %v", ErrDockerUnreachable, err)
		return
	}
	found, why := v.askRegistry(ctx, env, img)
	switch {
	case found:
		v.passes = append(v.passes, fmt.Sprintf("the registry %s has %s", img.Domain, img.Familiar))
	case why == "":
		v.problems = append(v.problems, fmt.Sprintf("the registry %s has no tag %s: check the tags on the image's page", img.Domain, img.Familiar))
	default:
		v.notes = append(v.notes, fmt.Sprintf("whether %s exists (%s)", img.Familiar, why))
	}
}

// askRegistry asks the daemon to look the reference up in its registry.
// why is empty when the registry answered; otherwise it says why it could
// not be asked.
func (v *verification) askRegistry(ctx context.Context, env Env, img *dockerfile.Image) (found bool, why string) {
	if RegistryOffline(img.Domain) {
		return false, fmt.Sprintf("lookups in %s are switched off by %s", img.Domain, OfflineRegistriesEnv)
	}
	if why, ok := unreachable.recent(img.Domain); ok {
		return false, why
	}
	ref := img.Written
	if n, err := reference.ParseNormalizedNamed(img.Written); err == nil {
		ref = n.String()
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	res, err := env.Docker.DistributionInspect(ctx, ref, client.DistributionInspectOptions{})
	switch {
	case err == nil:
		if img.Tag.Digest != "" && res.Descriptor.Digest.String() != img.Tag.Digest {
			return false, ""
		}
		return true, ""
	case client.IsErrConnectionFailed(err):
		v.err = fmt.Errorf("%w: %v", ErrDockerUnreachable, err)
		return false, "Docker does not answer"
	case registryNotFound(err):
		return false, ""
	case errors.Is(err, context.DeadlineExceeded):
		why = fmt.Sprintf("the registry %s did not answer in time: offline?", img.Domain)
	case !transportError(err):
		// The registry answered, with an error of its own (a 500 for a
		// digest that is a blob, not a manifest): ask again next time.
		return false, fmt.Sprintf("the registry %s answered with an error: %s", img.Domain, firstLine(err.Error()))
	default:
		why = fmt.Sprintf("the registry %s could not be reached, offline? %s", img.Domain, firstLine(err.Error()))
	}
	unreachable.remember(img.Domain, why)
	return false, why
}

// transportError: the daemon could not reach the registry at all (no
// network, no such host), as opposed to an answer from the registry.
func transportError(err error) bool {
	m := strings.ToLower(err.Error())
	for _, s := range []string{"dial tcp", "no such host", "connection refused", "i/o timeout", "network is unreachable",
		"tls handshake timeout", "timeout exceeded", "deadline exceeded", "connection reset"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// unreachable remembers the registries that could not be asked lately,
// so that a check on every save of an offline learner's Dockerfile does
// not wait for the registry each time.
var unreachable = registryMemory{ttl: 2 * time.Minute, seen: map[string]registryMiss{}}

type registryMemory struct {
	mu   sync.Mutex
	ttl  time.Duration
	seen map[string]registryMiss
}

type registryMiss struct {
	at  time.Time
	why string
}

func (m *registryMemory) recent(domain string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	miss, ok := m.seen[domain]
	if !ok || time.Since(miss.at) > m.ttl {
		return "", false
	}
	return miss.why, true
}

func (m *registryMemory) remember(domain, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen[domain] = registryMiss{at: time.Now(), why: why}
}

func (m *registryMemory) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.seen)
}

// registryNotFound: the registry answered that it has no such manifest.
// Docker 20.10 words it in the message only.
func registryNotFound(err error) bool {
	if cerrdefs.IsNotFound(err) {
		return true
	}
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "manifest unknown") || strings.Contains(m, "not found: manifest")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// knownLineMismatch: a digest the course knows for one line written under
// a tag of another line misleads whoever reads the FROM line.
func knownLineMismatch(img *dockerfile.Image, im *lessons.ReleaseImage, k lessons.KnownDigest) string {
	seen, err := dockerfile.ParseImage(img.Name + ":" + k.Tag)
	if err != nil || len(img.Tag.Numbers) == 0 {
		return ""
	}
	if l := lineOfTag(&seen.Tag, im); l != nil {
		if mine, ok := im.LineOf(img.Tag.Numbers); ok && mine.Version != l.Version {
			return fmt.Sprintf("the digest %s is that of %s:%s, a %s image, but the tag says %s: Docker uses the digest, so the tag misleads whoever reads it",
				digest.Short(img.Tag.Digest), img.Name, k.Tag, l.Version, img.Tag.Tag)
		}
	}
	return ""
}

func lineOfTag(t *dockerfile.Tag, im *lessons.ReleaseImage) *lessons.ReleaseLine {
	if len(t.Numbers) > 0 {
		if l, ok := im.LineOf(t.Numbers); ok {
			return l
		}
	}
	first, _, _ := strings.Cut(t.Tag, "-")
	if l, ok := im.Codename(first); ok {
		return l
	}
	return nil
}

// sameRepoDigest: a RepoDigest (node@sha256:…) is this repository's and
// this digest.
func sameRepoDigest(repoDigest string, img *dockerfile.Image, dg string) bool {
	n, err := reference.ParseNormalizedNamed(repoDigest)
	if err != nil {
		return false
	}
	d, ok := n.(reference.Digested)
	return ok && d.Digest().String() == dg && reference.Domain(n) == img.Domain && reference.Path(n) == img.Path
}

// coursePin is the course's base image pinned to the digest in the
// image's repository, if any.
func coursePin(pins []lessons.BaseImage, img *dockerfile.Image, dg string) (lessons.BaseImage, bool) {
	for _, p := range pins {
		if p.Digest == dg && sameRepoDigest(p.Ref+"@"+p.Digest, img, dg) {
			return p, true
		}
	}
	return lessons.BaseImage{}, false
}

// TagOf is the tag ref names: "latest" when it names none.
func TagOf(ref string) string {
	if n, err := reference.ParseNormalizedNamed(ref); err == nil {
		if t, ok := n.(reference.Tagged); ok {
			return t.Tag()
		}
	}
	return "latest"
}

func cmpTag(img *dockerfile.Image) string {
	if img.Tag.Tag != "" {
		return img.Tag.Tag
	}
	return "latest"
}
