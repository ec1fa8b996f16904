package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxManifestBlob bounds a manifest read whole to be served; registries
// refuse manifests past 4 MiB.
const maxManifestBlob = 4 << 20

// Registry is a read-only OCI distribution registry over the bundle's
// images, for the daemon to pull them by digest (as a docker.io mirror,
// or directly at 127.0.0.1:PORT/<repository>). Every byte served is
// checked against its digest; a blob that does not match is cut off
// before its last bytes, so the daemon's pull fails, and is recorded in
// Damaged.
type Registry struct {
	// OnDamaged, when set before serving, is told each part found
	// altered, once, as it is found.
	OnDamaged func(*PartError)

	b     *Bundle
	repos map[string]*repoImages

	mu      sync.Mutex
	damaged []*PartError
}

// repoImages are the digests and tags one repository name serves.
type repoImages struct {
	tags    map[string]string // tag → digest
	digests map[string]bool   // every blob of the repository's images
}

// Registry returns the bundle's registry. An image is served under its
// repository path (library/alpine for docker.io's alpine, the path after
// the host for another registry's) and, for a registry other than
// docker.io, also under its host and path (ghcr.io/owner/name) where that
// is a valid repository name.
func (b *Bundle) Registry() *Registry {
	r := &Registry{b: b, repos: map[string]*repoImages{}}
	for _, im := range b.manifest.Images {
		ref, err := name.NewDigest(im.Ref + "@" + im.Digest)
		if err != nil {
			continue
		}
		digests := b.blobsOf(im.Digest)
		names := []string{ref.Context().RepositoryStr()}
		if reg := ref.Context().RegistryStr(); reg != name.DefaultRegistry && !strings.Contains(reg, ":") {
			names = append(names, reg+"/"+ref.Context().RepositoryStr())
		}
		var tag string
		if t, err := name.NewTag(im.Ref); err == nil && strings.Contains(im.Ref, ":"+t.TagStr()) {
			tag = t.TagStr()
		}
		for _, n := range names {
			ri := r.repos[n]
			if ri == nil {
				ri = &repoImages{tags: map[string]string{}, digests: map[string]bool{}}
				r.repos[n] = ri
			}
			for d := range digests {
				ri.digests[d] = true
			}
			if tag != "" {
				ri.tags[tag] = im.Digest
			}
		}
	}
	return r
}

// blobsOf walks an image's manifests in the bundle and lists the digests
// the bundle holds for it (a platform without layers in the bundle keeps
// its manifest; its blobs are simply not there).
func (b *Bundle) blobsOf(digest string) map[string]bool {
	out := map[string]bool{}
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		if out[d] || depth > 3 || !b.Has(BlobPart(d)) {
			return
		}
		out[d] = true
		raw, err := b.readPart(BlobPart(d), maxManifestBlob)
		if err != nil {
			return
		}
		var m struct {
			Config    *v1.Descriptor  `json:"config"`
			Layers    []v1.Descriptor `json:"layers"`
			Manifests []v1.Descriptor `json:"manifests"`
		}
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		for _, c := range m.Manifests {
			walk(c.Digest.String(), depth+1)
		}
		if m.Config != nil && b.Has(BlobPart(m.Config.Digest.String())) {
			out[m.Config.Digest.String()] = true
		}
		for _, l := range m.Layers {
			if b.Has(BlobPart(l.Digest.String())) {
				out[l.Digest.String()] = true
			}
		}
	}
	walk(digest, 0)
	return out
}

// Damaged are the parts found altered while serving them.
func (r *Registry) Damaged() []*PartError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*PartError(nil), r.damaged...)
}

func (r *Registry) damagedPart(part string) *PartError {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.damaged {
		if d.Part == part {
			return d
		}
	}
	return nil
}

func (r *Registry) record(pe *PartError) {
	r.mu.Lock()
	for _, d := range r.damaged {
		if d.Part == pe.Part {
			r.mu.Unlock()
			return
		}
	}
	r.damaged = append(r.damaged, pe)
	r.mu.Unlock()
	if r.OnDamaged != nil {
		r.OnDamaged(pe)
	}
}

// ServeHTTP answers the distribution API's reads.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		registryError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "this registry serves a dockertutor bundle and is read-only")
		return
	}
	p := req.URL.Path
	if p == "/v2/" || p == "/v2" {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
		return
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		registryError(w, http.StatusNotFound, "NOT_FOUND", "not a registry path")
		return
	}
	var repo, kind, ref string
	if i := strings.LastIndex(rest, "/manifests/"); i > 0 {
		repo, kind, ref = rest[:i], "manifests", rest[i+len("/manifests/"):]
	} else if i := strings.LastIndex(rest, "/blobs/"); i > 0 {
		repo, kind, ref = rest[:i], "blobs", rest[i+len("/blobs/"):]
	} else {
		registryError(w, http.StatusNotFound, "NOT_FOUND", "this registry serves manifests and blobs only")
		return
	}
	ri := r.repos[repo]
	if ri == nil {
		registryError(w, http.StatusNotFound, "NAME_UNKNOWN", "the bundle holds no repository "+repo)
		return
	}
	digest := ref
	if !strings.HasPrefix(ref, "sha256:") {
		if kind != "manifests" || ri.tags[ref] == "" {
			code := "MANIFEST_UNKNOWN"
			if kind == "blobs" {
				code = "BLOB_UNKNOWN"
			}
			registryError(w, http.StatusNotFound, code, "the bundle holds no "+repo+":"+ref)
			return
		}
		digest = ri.tags[ref]
	}
	if !ri.digests[digest] {
		code := "MANIFEST_UNKNOWN"
		if kind == "blobs" {
			code = "BLOB_UNKNOWN"
		}
		registryError(w, http.StatusNotFound, code, "the bundle holds no "+digest+" in "+repo)
		return
	}
	if kind == "manifests" {
		r.serveManifest(w, req, digest)
		return
	}
	r.serveBlob(w, req, digest)
}

func (r *Registry) serveManifest(w http.ResponseWriter, req *http.Request, digest string) {
	raw, err := r.b.readPart(BlobPart(digest), maxManifestBlob)
	if err != nil {
		var pe *PartError
		if errors.As(err, &pe) {
			r.record(pe)
		}
		registryError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	mt := mediaTypeOf(raw)
	if mt == "" {
		registryError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", digest+" is not a manifest")
		return
	}
	w.Header().Set("Content-Type", string(mt))
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
	if req.Method == http.MethodHead {
		return
	}
	w.Write(raw)
}

// holdBack is how much of a blob is kept back until its digest is
// checked: whatever the daemon has received, it never has all of it when
// the bytes are wrong.
const holdBack = 64 << 10

func (r *Registry) serveBlob(w http.ResponseWriter, req *http.Request, digest string) {
	sec, e, ok := r.b.section(BlobPart(digest))
	if !ok {
		registryError(w, http.StatusNotFound, "BLOB_UNKNOWN", "the bundle holds no "+digest)
		return
	}
	// A part found altered is unknown from then on: the daemon retries a
	// cut download, but not a blob the registry does not have.
	if pe := r.damagedPart(e.Name); pe != nil {
		registryError(w, http.StatusNotFound, "BLOB_UNKNOWN", pe.Error())
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", strconv.FormatInt(e.Size, 10))
	if req.Method == http.MethodHead {
		return
	}
	h := sha256.New()
	buf := make([]byte, 256<<10)
	var pending bytes.Buffer // the last bytes read, not yet sent
	for {
		n, err := sec.Read(buf)
		h.Write(buf[:n])
		pending.Write(buf[:n])
		if extra := pending.Len() - holdBack; extra > 0 {
			if _, werr := w.Write(pending.Next(extra)); werr != nil {
				return // the daemon hung up
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(http.ErrAbortHandler)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
		r.record(&PartError{Part: e.Name, Kind: PartAltered, Got: got, Want: e.SHA256})
		// Cutting the connection short of Content-Length is the only
		// way to fail a response whose status is already sent.
		panic(http.ErrAbortHandler)
	}
	w.Write(pending.Bytes())
}

// registryError writes the distribution API's error document.
func registryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
}
