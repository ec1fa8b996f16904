package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
)

// Bundle is an opened bundle file: its manifest and where each part's
// bytes lie in the file.
type Bundle struct {
	path     string
	f        *os.File
	manifest Manifest
	parts    map[string]entry
}

type entry struct {
	Part
	offset int64
}

// Open reads the manifest and the tar's index of entries, seeking over
// the data, and refuses a bundle of another format or one whose parts are
// not all there at their size. It does not hash: Verify does.
func Open(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	b, err := open(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return b, nil
}

func open(path string, f *os.File) (*Bundle, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	pos := &offsetReader{r: f}
	tr := tar.NewReader(pos)
	notBundle := func(reason string) error { return &FormatError{Path: path, Reason: reason} }

	hdr, err := tr.Next()
	if err != nil || hdr.Name != ManifestName {
		return nil, notBundle("its first entry is not " + ManifestName)
	}
	if hdr.Size > maxManifestBytes || hdr.Size < 0 {
		return nil, notBundle(fmt.Sprintf("its manifest is %d bytes", hdr.Size))
	}
	raw, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
	if err != nil || int64(len(raw)) != hdr.Size {
		return nil, &PartError{Part: ManifestName, Kind: PartCut, Got: strconv.Itoa(len(raw)), Want: strconv.FormatInt(hdr.Size, 10)}
	}
	m, err := decodeManifest(path, raw)
	if err != nil {
		return nil, err
	}

	b := &Bundle{path: path, f: f, manifest: *m, parts: map[string]entry{}}
	listed := map[string]Part{}
	for _, p := range m.Parts {
		listed[p.Name] = p
	}
	var end int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A header cut in half: what follows is missing.
			break
		}
		p, ok := listed[hdr.Name]
		if !ok || hdr.Typeflag != tar.TypeReg {
			continue // not a part: a later format's extra, ignored
		}
		off := pos.n
		if avail := size - off; avail < p.Size {
			return nil, &PartError{Part: p.Name, Kind: PartCut, Got: strconv.FormatInt(max(avail, 0), 10), Want: strconv.FormatInt(p.Size, 10)}
		}
		if hdr.Size != p.Size {
			return nil, &PartError{Part: p.Name, Kind: PartAltered, Got: "size " + strconv.FormatInt(hdr.Size, 10), Want: "size " + strconv.FormatInt(p.Size, 10)}
		}
		b.parts[p.Name] = entry{Part: p, offset: off}
		end = off + p.Size
	}
	for _, p := range m.Parts {
		if _, ok := b.parts[p.Name]; !ok {
			return nil, &PartError{Part: p.Name, Kind: PartMissing}
		}
	}
	// A tar ends with two zero blocks after the last entry's padded data;
	// without them the copy was cut between parts.
	if padded := (end + 511) / 512 * 512; size < padded+1024 {
		last := m.Parts[len(m.Parts)-1]
		n := strconv.FormatInt(last.Size, 10)
		return nil, &PartError{Part: last.Name, Kind: PartCut, Got: n, Want: n}
	}
	return b, nil
}

// decodeManifest checks the format before anything else, so a bundle of a
// later format is named as such rather than as damaged.
func decodeManifest(path string, raw []byte) (*Manifest, error) {
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, &FormatError{Path: path, Reason: "its manifest is not valid JSON: " + err.Error() + "; the file is damaged, copy it again"}
	}
	if head.Format != Format {
		if head.Format == "" {
			return nil, &FormatError{Path: path, Reason: "its manifest names no format"}
		}
		return nil, &FormatError{Path: path, Format: head.Format}
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil {
		return nil, &FormatError{Path: path, Reason: "its manifest does not read as " + Format + ": " + err.Error()}
	}
	if len(m.Parts) == 0 {
		return nil, &FormatError{Path: path, Reason: "its manifest lists no parts"}
	}
	seen := map[string]bool{}
	for _, p := range m.Parts {
		if p.Size < 0 || len(p.SHA256) != 64 || seen[p.Name] || p.Name == ManifestName {
			return nil, &FormatError{Path: path, Reason: fmt.Sprintf("its manifest lists part %q with size %d and SHA-256 %q", p.Name, p.Size, p.SHA256)}
		}
		if _, err := hex.DecodeString(p.SHA256); err != nil {
			return nil, &FormatError{Path: path, Reason: fmt.Sprintf("part %q has SHA-256 %q", p.Name, p.SHA256)}
		}
		seen[p.Name] = true
	}
	for _, im := range m.Images {
		if !seen[BlobPart(im.Digest)] {
			return nil, &FormatError{Path: path, Reason: fmt.Sprintf("image %s's manifest %s is not among its parts", im.Ref, im.Digest)}
		}
	}
	return &m, nil
}

// offsetReader counts what tar has read, which is where the entry's data
// begins once Next returns (tar reads headers without buffering ahead).
type offsetReader struct {
	r io.ReadSeeker
	n int64
}

func (o *offsetReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.n += int64(n)
	return n, err
}

// Seek lets tar skip over a part's data instead of reading it.
func (o *offsetReader) Seek(offset int64, whence int) (int64, error) {
	n, err := o.r.Seek(offset, whence)
	if err == nil {
		o.n = n
	}
	return n, err
}

// Close closes the bundle file.
func (b *Bundle) Close() error { return b.f.Close() }

// Path is the bundle file's path.
func (b *Bundle) Path() string { return b.path }

// Manifest is the bundle's manifest.
func (b *Bundle) Manifest() Manifest { return b.manifest }

// Images are the bundle's pinned images.
func (b *Bundle) Images() []Image { return b.manifest.Images }

// Has says whether the bundle holds the named part.
func (b *Bundle) Has(part string) bool {
	_, ok := b.parts[part]
	return ok
}

// section is the part's bytes, read in place.
func (b *Bundle) section(part string) (*io.SectionReader, entry, bool) {
	e, ok := b.parts[part]
	if !ok {
		return nil, e, false
	}
	return io.NewSectionReader(b.f, e.offset, e.Size), e, true
}

// VerifyProgress is told, as Verify goes, the part it is hashing and the
// bytes hashed so far out of all parts' total.
type VerifyProgress func(part string, done, total int64)

// Verify hashes every part and returns a *PartError naming the first
// part, in the manifest's order, whose bytes are not those listed. The
// parts are hashed side by side, one per core: hashing is most of what
// readying a machine from a bundle costs beside the daemon's own work.
func (b *Bundle) Verify(ctx context.Context, progress VerifyProgress) error {
	names := make([]string, len(b.manifest.Parts))
	for i, p := range b.manifest.Parts {
		names[i] = p.Name
	}
	return b.verifyParts(ctx, names, progress)
}

// verifyParts hashes the parts named side by side, one per core, and
// returns the *PartError of the first, in their order, that does not
// match.
func (b *Bundle) verifyParts(ctx context.Context, parts []string, progress VerifyProgress) error {
	var total int64
	for _, p := range parts {
		total += b.parts[p].Size
	}
	var mu sync.Mutex // progress is told one part's bytes at a time
	var done int64
	errs := make([]error, len(parts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(parts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			for i := range next {
				errs[i] = b.verifyPart(ctx, parts[i], buf, func(n int) {
					mu.Lock()
					defer mu.Unlock()
					done += int64(n)
					if progress != nil {
						progress(parts[i], done, total)
					}
				})
			}
		}()
	}
	for i := range parts {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// verifyPart hashes one part with buf, telling read each chunk's size.
func (b *Bundle) verifyPart(ctx context.Context, part string, buf []byte, read func(n int)) error {
	r, e, _ := b.section(part)
	h := sha256.New()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		if n > 0 {
			read(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read part %s of %s: %w", part, b.path, err)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
		return &PartError{Part: part, Kind: PartAltered, Got: got, Want: e.SHA256}
	}
	return nil
}

// readPart reads a small part whole and checks its SHA-256.
func (b *Bundle) readPart(part string, limit int64) ([]byte, error) {
	r, e, ok := b.section(part)
	if !ok {
		return nil, &PartError{Part: part, Kind: PartMissing}
	}
	if e.Size > limit {
		return nil, fmt.Errorf("part %s is %d bytes, more than the %d a part of its kind can be: the bundle is damaged; make it again", part, e.Size, limit)
	}
	data := make([]byte, e.Size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("read part %s of %s: %w", part, b.path, err)
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != e.SHA256 {
		return nil, &PartError{Part: part, Kind: PartAltered, Got: hex.EncodeToString(got[:]), Want: e.SHA256}
	}
	return data, nil
}

// verifyingReader hashes a part as it is read and, at its end, returns a
// *PartError instead of io.EOF when the bytes are not those listed.
type verifyingReader struct {
	r    io.Reader
	h    hashWriter
	part entry
	err  error
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func (b *Bundle) verifying(part string) (*verifyingReader, bool) {
	r, e, ok := b.section(part)
	if !ok {
		return nil, false
	}
	return &verifyingReader{r: r, h: sha256.New(), part: e}, true
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.part.SHA256 {
			err = &PartError{Part: v.part.Name, Kind: PartAltered, Got: got, Want: v.part.SHA256}
		}
	}
	v.err = err
	return n, err
}
