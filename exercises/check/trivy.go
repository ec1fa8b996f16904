package check

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

// trivyJSON is the part of trivy's JSON report (aquasecurity/trivy
// pkg/types/report.go) that a scan of a local image always fills from the
// image itself: trivy reads the ID, the layers and the config from the
// daemon's inspect, and the OS from the image's files. A report written by
// hand gets these wrong, so the check compares each with the daemon. The
// tags and omitempty follow trivy's, so a report this type writes is laid
// out as trivy lays it out.
type trivyJSON struct {
	SchemaVersion int            `json:",omitempty"`
	ArtifactName  string         `json:",omitempty"`
	ArtifactType  string         `json:",omitempty"`
	Metadata      trivyMetadata  `json:",omitempty"`
	Results       *[]trivyResult `json:",omitempty"`
}

// trivyMetadata is trivy's Metadata of an image report.
type trivyMetadata struct {
	OS          *trivyOS         `json:",omitempty"`
	ImageID     string           `json:",omitempty"`
	DiffIDs     []string         `json:",omitempty"`
	RepoTags    []string         `json:",omitempty"`
	RepoDigests []string         `json:",omitempty"`
	ImageConfig trivyImageConfig `json:",omitempty"`
}

// trivyOS is the OS trivy detected: Family "alpine", Name "3.22.2".
type trivyOS struct {
	Family string
	Name   string
}

// trivyImageConfig is the part of the image config (an OCI config file,
// which trivy fills from the inspect) that the check compares.
type trivyImageConfig struct {
	Architecture string      `json:"architecture"`
	Created      string      `json:"created,omitempty"`
	OS           string      `json:"os"`
	RootFS       trivyRootFS `json:"rootfs"`
}

// trivyRootFS is the config's list of layers.
type trivyRootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// trivyResult is one entry of Results; the OS packages' one has Class
// os-pkgs, Type the OS family and Target "NAME (FAMILY VERSION)".
type trivyResult struct {
	Target string
	Class  string `json:",omitempty"`
	Type   string `json:",omitempty"`
}

const trivyOSPackages = "os-pkgs"

// trivyReport checks a trivy JSON report in the step folder: it must be
// what `trivy image --format json` writes for the step's image as it is
// now. Each part trivy always writes is compared with the daemon, and the
// message names the first that is missing or does not match.
func trivyReport(ctx context.Context, env Env, s *lessons.TrivyReport) finding {
	// The image first: without it no report can be right, and a daemon
	// that does not answer is an error whatever the file says.
	return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
		path := filepath.Join(env.Values.Workdir, filepath.FromSlash(s.File))
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return failed(fmt.Sprintf("There is no %s in the step folder yet: trivy image --format json --output %s %s", s.File, s.File, s.Image))
		}
		if err != nil {
			return broken(err)
		}
		var rep trivyJSON
		if err := json.Unmarshal(data, &rep); err != nil {
			return failed(fmt.Sprintf("%s is not JSON (%v): use --format json.", s.File, err))
		}
		if rep.SchemaVersion != 2 || rep.ArtifactName == "" {
			return failed(fmt.Sprintf("%s is not a trivy JSON report (no SchemaVersion 2 and ArtifactName).", s.File))
		}
		ev := []Evidence{{Where: s.File, Detail: fmt.Sprintf("report of %s (%s)", rep.ArtifactName, rep.ArtifactType)}}
		if rep.ArtifactType != "container_image" {
			return failed(fmt.Sprintf("%s is a report of a %s, not of an image: scan with trivy image.", s.File, cmp.Or(rep.ArtifactType, "artifact of no type")), ev...)
		}
		// trivy names the artifact as it was asked: by name, by image ID
		// (trivy image 3f9a…) or by archive (trivy image --input
		// image.tar). The ID it read from the image decides which it is.
		if !daemon.SameImage(rep.ArtifactName, s.Image) && rep.Metadata.ImageID != img.ID {
			return failed(fmt.Sprintf("%s is a report of %s, not of %s.", s.File, rep.ArtifactName, s.Image), ev...)
		}
		if f := trivyImageParts(s.File, s.Image, rep, img); f != nil {
			f.evidence = append(ev, f.evidence...)
			return *f
		}
		osys, f := imageOS(ctx, env, img.ID)
		if f != nil {
			return *f
		}
		if f := trivyOSParts(s.File, s.Image, rep, osys); f != nil {
			f.evidence = append(ev, f.evidence...)
			return *f
		}
		return passed(fmt.Sprintf("%s is trivy's report of %s as it is now.", s.File, s.Image), ev...)
	})
}

// trivyImageParts compares what trivy copies from the image's inspect: its
// ID, its layers, and the config built from them. nil when all match.
func trivyImageParts(file, image string, rep trivyJSON, img client.ImageInspectResult) *finding {
	md := rep.Metadata
	again := fmt.Sprintf("scan %s again with trivy image --format json.", image)
	switch {
	case md.ImageID == "":
		f := failed(fmt.Sprintf("%s has no Metadata.ImageID, which trivy writes into every image report: %s", file, again))
		return &f
	case md.ImageID != img.ID:
		f := failed(fmt.Sprintf("%s is a report of another image or an older build of %s (Metadata.ImageID does not match): %s", file, image, again),
			Evidence{Where: "Metadata.ImageID", Detail: md.ImageID}, Evidence{Where: image, Detail: img.ID})
		return &f
	case !slices.Equal(md.DiffIDs, img.RootFS.Layers):
		f := failed(fmt.Sprintf("%s lists other layers than %s has (Metadata.DiffIDs): it was edited or comes from another image; %s", file, image, again),
			Evidence{Where: "Metadata.DiffIDs", Detail: fmt.Sprintf("%d layers", len(md.DiffIDs))}, Evidence{Where: image, Detail: fmt.Sprintf("%d layers", len(img.RootFS.Layers))})
		return &f
	case !slices.Equal(md.ImageConfig.RootFS.DiffIDs, img.RootFS.Layers) || md.ImageConfig.OS != img.Os || md.ImageConfig.Architecture != img.Architecture:
		f := failed(fmt.Sprintf("%s has a Metadata.ImageConfig that does not describe %s (its os, architecture or rootfs.diff_ids differ): it was edited or comes from another image; %s", file, image, again))
		return &f
	}
	return nil
}

// trivyOSParts compares the OS the report names, and its OS packages'
// result, with the OS the image's files say it has. nil when all match.
func trivyOSParts(file, image string, rep trivyJSON, osys imageOSRelease) *finding {
	named := rep.Metadata.OS
	if rep.Results != nil && len(*rep.Results) == 0 {
		f := failed(fmt.Sprintf("%s has an empty Results list, which trivy never writes: it leaves Results out when it has nothing to report, and an image with a known OS always gets a result for its OS packages.", file))
		return &f
	}
	if osys.Unjudged {
		return nil
	}
	if osys.Family == "" {
		if named != nil {
			f := failed(fmt.Sprintf("%s names the OS %s %s, but %s has no /etc/os-release or /etc/alpine-release, so trivy finds no OS in it.", file, named.Family, named.Name, image))
			return &f
		}
		return nil
	}
	is := osys.Family + " " + osys.Version
	switch {
	case named == nil:
		f := failed(fmt.Sprintf("%s has no Metadata.OS, but %s is %s: trivy records the OS it detects.", file, image, is))
		return &f
	case named.Family != osys.Family || !osys.matches(named.Name):
		f := failed(fmt.Sprintf("%s says the OS is %s %s, but %s is %s.", file, named.Family, named.Name, image, is),
			Evidence{Where: "Metadata.OS", Detail: named.Family + " " + named.Name}, Evidence{Where: image + ":" + osys.From, Detail: is})
		return &f
	}
	target := fmt.Sprintf("%s (%s %s)", rep.ArtifactName, named.Family, named.Name)
	if rep.Results == nil || !slices.ContainsFunc(*rep.Results, func(r trivyResult) bool {
		return r.Class == trivyOSPackages && r.Type == named.Family && r.Target == target
	}) {
		f := failed(fmt.Sprintf("%s has no result for the OS packages of %s (Class %s, Target %q), which trivy writes for every image with a known OS, even when it finds no vulnerabilities.", file, image, trivyOSPackages, target))
		return &f
	}
	return nil
}

// imageOSRelease is the OS an image's files declare, as trivy detects it:
// Alpine by /etc/alpine-release, Debian and Ubuntu by the ID and
// VERSION_ID of os-release. Family is "" when the image declares none, or
// one the check does not judge (Unjudged).
type imageOSRelease struct {
	Family, Version string
	Unjudged        bool
	// From is the file it was read from.
	From string
	// prefix: Version is os-release's VERSION_ID, which trivy may extend
	// from a finer file (Debian's "12" is "12.8" from /etc/debian_version,
	// when the image has it).
	prefix bool
}

func (o imageOSRelease) matches(name string) bool {
	return name == o.Version || o.prefix && strings.HasPrefix(name, o.Version+".")
}

// trivyKnownOS are the OS families whose name and version trivy takes from
// the files imageOS reads, so the check can say what trivy finds. Others
// (Red Hat's family, Amazon Linux, …) trivy names from files of their own,
// and an os-release ID it does not know is no OS to it: for those the
// check does not judge the OS parts of a report.
var trivyKnownOS = map[string]bool{"alpine": true, "debian": true, "ubuntu": true}

// imageOS reads the image's release files from a container created for the
// purpose and never started.
func imageOS(ctx context.Context, env Env, imageID string) (imageOSRelease, *finding) {
	created, err := env.Docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:      imageID,
			Cmd:        []string{"/dockertutor-never-runs"},
			Entrypoint: []string{},
			Labels:     labels.For(env.Values.Namespace(), env.Values.Course, env.Values.Step),
		},
	})
	if err != nil {
		f := dockerError(err)
		return imageOSRelease{}, &f
	}
	defer env.Docker.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true})
	read := func(p string) ([]byte, bool, *finding) {
		data, err := copyFileOut(ctx, env.Docker, created.ID, p)
		if cerrdefs.IsNotFound(err) {
			return nil, false, nil
		}
		if err != nil {
			f := dockerError(err)
			return nil, false, &f
		}
		return data, true, nil
	}
	if data, ok, f := read("/etc/alpine-release"); f != nil || ok {
		return imageOSRelease{Family: "alpine", Version: strings.TrimSpace(string(data)), From: "/etc/alpine-release"}, f
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, ok, f := read(p)
		if f != nil {
			return imageOSRelease{}, f
		}
		if !ok {
			continue
		}
		id, version := osRelease(data)
		if !trivyKnownOS[id] || version == "" {
			// Debian testing has no VERSION_ID; trivy reads "trixie/sid".
			return imageOSRelease{Unjudged: true}, nil
		}
		if id == "debian" {
			// trivy names Debian by /etc/debian_version ("12.8"), finer
			// than VERSION_ID ("12").
			data, ok, f := read("/etc/debian_version")
			if f != nil {
				return imageOSRelease{}, f
			}
			if v := strings.TrimSpace(string(data)); ok && strings.HasPrefix(v, version+".") {
				return imageOSRelease{Family: id, Version: v, From: "/etc/debian_version"}, nil
			}
		}
		return imageOSRelease{Family: id, Version: version, From: p, prefix: true}, nil
	}
	return imageOSRelease{}, nil
}

// osRelease reads ID and VERSION_ID from an os-release file.
func osRelease(data []byte) (id, version string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			version = v
		}
	}
	return id, version
}

// maxReleaseFile bounds what is read of a release file: they are a few
// lines, and a huge one is not one trivy would take as such either.
const maxReleaseFile = 64 << 10

// copyFileOut reads one regular file out of a container.
func copyFileOut(ctx context.Context, d daemon.Checker, containerID, path string) ([]byte, error) {
	res, err := d.CopyFromContainer(ctx, containerID, client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		return nil, err
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("read %s from the image: %w", path, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		// The daemon sends a symbolic link as the link: Debian's
		// /etc/os-release points to /usr/lib/os-release, which imageOS
		// reads next.
		return nil, fmt.Errorf("%s is not a regular file: %w", path, cerrdefs.ErrNotFound)
	}
	return io.ReadAll(io.LimitReader(tr, maxReleaseFile))
}

// TrivyReportOf is the report `trivy image --format json NAME` writes for
// the image when its vulnerability database lists nothing for it: every
// part trivy takes from the image, from the daemon, as trivy takes it.
// Tests and `course prove`, which cannot run trivy offline, use it as a
// scan's result; the check compares the same parts with the same daemon.
func TrivyReportOf(ctx context.Context, env Env, name string) ([]byte, error) {
	img, err := env.Docker.ImageInspect(ctx, name)
	if err != nil {
		return nil, err
	}
	osys, f := imageOS(ctx, env, img.ID)
	if f != nil {
		return nil, errors.New(f.message)
	}
	rep := trivyJSON{
		SchemaVersion: 2, ArtifactName: name, ArtifactType: "container_image",
		Metadata: trivyMetadata{
			ImageID: img.ID, DiffIDs: img.RootFS.Layers, RepoTags: img.RepoTags, RepoDigests: img.RepoDigests,
			ImageConfig: trivyImageConfig{Architecture: img.Architecture, OS: img.Os, Created: img.Created,
				RootFS: trivyRootFS{Type: img.RootFS.Type, DiffIDs: img.RootFS.Layers}},
		},
	}
	if osys.Family != "" {
		rep.Metadata.OS = &trivyOS{Family: osys.Family, Name: osys.Version}
		rep.Results = &[]trivyResult{{Target: fmt.Sprintf("%s (%s %s)", name, osys.Family, osys.Version), Class: trivyOSPackages, Type: osys.Family}}
	}
	return json.MarshalIndent(rep, "", "  ")
}
