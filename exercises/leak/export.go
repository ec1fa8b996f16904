package leak

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// limits bound what the export reader keeps and expands, so a hostile or
// broken archive can neither exhaust memory nor keep it busy for ever.
type limits struct {
	pieceSize    int   // bytes matched at a time
	metaFile     int64 // largest non-layer file kept in memory
	metaTotal    int64 // all non-layer files kept in memory
	maxHits      int   // places with findings kept over the whole export
	expandFactor int64 // a compressed layer may expand to expandFactor x its size ...
	expandSlack  int64 // ... plus this much
	zstdWindow   uint64
}

var defaultLimits = limits{
	pieceSize: 256 << 10,
	metaFile:  4 << 20,
	metaTotal: 16 << 20,
	maxHits:   1000,
	// gzip cannot exceed about 1032:1; zstd can, but a real layer that
	// does is a file of zeros, where no secret hides.
	expandFactor: 1100,
	expandSlack:  256 << 20,
	zstdWindow:   32 << 20,
}

// blobKind is what an export entry turned out to be, judged by its bytes
// since the entry order of an export is not fixed.
type blobKind int

const (
	kindFile  blobKind = iota // anything else: JSON metadata, VERSION, ...
	kindLayer                 // a tar, possibly compressed
)

// blob is what the export reader learned about one entry of the export.
type blob struct {
	path        string
	kind        blobKind
	compression string // "", "gzip" or "zstd" for layers
	hits        []layerHit
	// For layers: what the layer removes from or writes over the layers
	// below it, to tell whether a finding in an earlier layer is still
	// visible.
	whiteouts []string        // paths deleted
	opaque    []string        // directories whose earlier contents are hidden
	written   map[uint64]bool // path hash -> is a directory
	files     int
	// For other files: the raw tally when the file was too big to keep.
	raw *tally
}

// layerHit is the secret found in one file of a layer.
type layerHit struct {
	path   string
	inName bool
	isDir  bool
	t      tally
}

// exportReader streams a `docker save` archive (docker-archive or OCI
// layout), searching every entry as it passes and remembering only what
// is needed to map findings to layers afterwards.
type exportReader struct {
	m        *matcher
	lim      limits
	blobs    map[string]*blob
	links    map[string]string // archive symlink or hard link -> target
	meta     map[string][]byte // small non-layer files, kept whole
	metaSize int64
	hitCount int
	omitted  int
	problems []string

	seed  maphash.Seed
	piece []byte
	st    *stream
	br    *bufio.Reader
	gz    *gzip.Reader
	zd    *zstd.Decoder
}

func newExportReader(m *matcher, lim limits) *exportReader {
	return &exportReader{
		m:     m,
		lim:   lim,
		blobs: map[string]*blob{},
		links: map[string]string{},
		meta:  map[string][]byte{},
		seed:  maphash.MakeSeed(),
		piece: make([]byte, lim.pieceSize),
		st:    newStream(m),
		br:    bufio.NewReaderSize(nil, 64<<10),
	}
}

func (x *exportReader) close() {
	if x.zd != nil {
		x.zd.Close()
	}
}

func (x *exportReader) problem(format string, args ...any) {
	x.problems = append(x.problems, fmt.Sprintf(format, args...))
}

// read consumes the whole export. An error means the archive itself could
// not be read; trouble inside one entry is recorded as a problem and the
// reader moves on.
func (x *exportReader) read(ctx context.Context, r io.Reader) error {
	src := &endWatcher{r: r}
	tr := tar.NewReader(src)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			if src.ended {
				// archive/tar also ends quietly when the input stops at an
				// entry boundary; an export always has its end marker.
				return errors.New("read image export: it ends without the end-of-archive marker (cut off?)")
			}
			return nil
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("read image export: %w", err)
		}
		name := cleanArchivePath(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			x.links[name] = cleanArchivePath(path.Join(path.Dir(name), hdr.Linkname))
		case tar.TypeLink:
			x.links[name] = cleanArchivePath(hdr.Linkname)
		case tar.TypeReg, tar.TypeRegA:
			if err := x.entry(ctx, name, hdr.Size, tr); err != nil {
				return err
			}
		}
	}
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// entry classifies one export entry by its first bytes and searches it.
func (x *exportReader) entry(ctx context.Context, name string, size int64, r io.Reader) error {
	x.br.Reset(r)
	head, _ := x.br.Peek(512)
	b := &blob{path: name}
	x.blobs[name] = b
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		b.kind, b.compression = kindLayer, "gzip"
	case bytes.HasPrefix(head, zstdMagic):
		b.kind, b.compression = kindLayer, "zstd"
	case isTarHeader(head):
		b.kind = kindLayer
	}
	if b.kind == kindLayer {
		return x.layer(ctx, b, size)
	}
	if size <= x.lim.metaFile && x.metaSize+size <= x.lim.metaTotal {
		data, err := io.ReadAll(x.br)
		if err != nil {
			return x.readErr(ctx, name, err)
		}
		x.meta[name] = data
		x.metaSize += int64(len(data))
		return nil
	}
	x.st.reset()
	if err := x.pump(ctx, x.br); err != nil {
		return x.readErr(ctx, name, err)
	}
	t := x.st.close()
	b.raw = &t
	return nil
}

// readErr turns a failed read of an entry into the scan's error: the outer
// archive is one stream, so nothing after the failure can be read either.
func (x *exportReader) readErr(ctx context.Context, name string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("read %s from the image export: %w", name, err)
}

// isTarHeader recognises a tar stream: the ustar magic of POSIX and GNU
// headers, or an all-zero first block (an empty layer).
func isTarHeader(head []byte) bool {
	if len(head) < 512 {
		return false
	}
	if bytes.Equal(head[257:262], []byte("ustar")) {
		return true
	}
	for _, c := range head {
		if c != 0 {
			return false
		}
	}
	return true
}

// pump feeds everything r yields to the stream matcher, a piece at a time.
func (x *exportReader) pump(ctx context.Context, r io.Reader) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := fill(r, x.piece)
		x.st.write(x.piece[:n])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// fill reads until buf is full or r fails. Unlike io.ReadFull it keeps a
// clean end (io.EOF) apart from a truncated stream (io.ErrUnexpectedEOF
// from an archive reader), so a cut-off export is never taken as complete.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// layer reads one layer: every file's name, link target and contents, and
// the whiteouts that tell which earlier files it deletes.
func (x *exportReader) layer(ctx context.Context, b *blob, size int64) error {
	var src io.Reader = x.br
	switch b.compression {
	case "gzip":
		if x.gz == nil {
			x.gz = new(gzip.Reader)
		}
		if err := x.gz.Reset(x.br); err != nil {
			x.problem("layer %s: %v", b.path, err)
			return x.drain(ctx, b.path)
		}
		src = x.gz
	case "zstd":
		if x.zd == nil {
			zd, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxWindow(x.lim.zstdWindow))
			if err != nil {
				return err
			}
			x.zd = zd
		}
		if err := x.zd.Reset(x.br); err != nil {
			x.problem("layer %s: %v", b.path, err)
			return x.drain(ctx, b.path)
		}
		src = x.zd
	}
	if b.compression != "" {
		src = &capReader{r: src, left: size*x.lim.expandFactor + x.lim.expandSlack}
	}
	b.written = map[uint64]bool{}
	tr := tar.NewReader(src)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return x.layerErr(ctx, b, err)
		}
		b.files++
		p := cleanLayerPath(hdr.Name)
		dir, base := path.Split(p)
		if strings.HasPrefix(base, ".wh.") {
			if base == ".wh..wh..opq" {
				b.opaque = append(b.opaque, path.Clean("/" + dir)[1:])
			} else {
				b.whiteouts = append(b.whiteouts, path.Join(dir, base[len(".wh."):]))
			}
			continue
		}
		isDir := hdr.Typeflag == tar.TypeDir
		b.written[maphash.String(x.seed, p)] = isDir
		x.names(b, p, isDir, hdr)
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA || hdr.Size == 0 {
			continue
		}
		if isSparse(hdr) {
			// Reading a sparse entry expands its holes, which a crafted
			// header can make terabytes long; Docker never writes them.
			x.problem("layer %s: /%s is a sparse file; its contents were not searched", b.path, p)
			continue
		}
		x.st.reset()
		if err := x.pump(ctx, tr); err != nil {
			x.keepHit(b, p, false, false, x.st.close())
			return x.layerErr(ctx, b, err)
		}
		x.keepHit(b, p, false, false, x.st.close())
	}
	return x.drain(ctx, b.path)
}

// layerErr records a layer that could not be read to the end and skips the
// rest of its entry. Only a failure of the outer stream stops the scan.
func (x *exportReader) layerErr(ctx context.Context, b *blob, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	x.problem("layer %s: read stopped after %d entries: %v", b.path, b.files, err)
	return x.drain(ctx, b.path)
}

// drain skips what is left of the current export entry, searching it as raw
// bytes so that nothing passes unseen.
func (x *exportReader) drain(ctx context.Context, name string) error {
	x.st.reset()
	if err := x.pump(ctx, x.br); err != nil {
		return x.readErr(ctx, name, err)
	}
	t := x.st.close()
	if len(t.order) > 0 {
		x.keepHit(x.blobs[name], "(raw bytes of the layer archive)", false, false, t)
	}
	return nil
}

// names searches a layer entry's name, link target and extended headers.
func (x *exportReader) names(b *blob, p string, isDir bool, hdr *tar.Header) {
	fields := []string{hdr.Name, hdr.Linkname}
	for k, v := range hdr.PAXRecords {
		if k != "path" && k != "linkpath" {
			fields = append(fields, k, v)
		}
	}
	var t tally
	for _, f := range fields {
		if len(f) < x.m.minSpan {
			continue
		}
		ft := x.m.scanBytes([]byte(f))
		for _, enc := range ft.order {
			for range ft.count[enc] {
				t.add(enc, func() string { return ft.excerpt[enc] })
			}
		}
	}
	x.keepHit(b, p, true, isDir, t)
}

func (x *exportReader) keepHit(b *blob, p string, inName, isDir bool, t tally) {
	if len(t.order) == 0 {
		return
	}
	if x.hitCount >= x.lim.maxHits {
		x.omitted += len(t.order)
		return
	}
	x.hitCount++
	b.hits = append(b.hits, layerHit{path: p, inName: inName, isDir: isDir, t: t})
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// endWatcher notes whether its reader ran dry. The tar reader stops at the
// end-of-archive marker without reading further, so a source that ended
// before tar reported its end was cut off. Only a read that delivers
// nothing counts: an HTTP body may hand over its last bytes (the marker
// itself) together with io.EOF.
type endWatcher struct {
	r     io.Reader
	ended bool
}

func (e *endWatcher) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF && n == 0 {
		e.ended = true
	}
	return n, err
}

// capReader stops a decompressed layer at a size no real layer reaches.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errors.New("layer expands beyond any plausible size (decompression bomb?)")
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// cleanArchivePath normalises a path inside the export archive.
func cleanArchivePath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// cleanLayerPath normalises a path inside a layer, relative to the root.
func cleanLayerPath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// resolve follows archive links (Docker shares identical layers between
// images of one export through symlinks) to the entry holding the bytes.
func (x *exportReader) resolve(p string) string {
	p = cleanArchivePath(p)
	for range 16 {
		t, ok := x.links[p]
		if !ok {
			return p
		}
		p = t
	}
	return p
}

// fate tells whether the entry at p (a directory when isDir), found in
// layer idx, is still visible given the layers stacked on top of it.
func (x *exportReader) fate(layers []*blob, idx int, p string, isDir bool) (FileState, int) {
	for later := idx + 1; later < len(layers); later++ {
		l := layers[later]
		if l == nil {
			continue
		}
		for _, w := range l.whiteouts {
			if w == p || strings.HasPrefix(p, w+"/") {
				return Deleted, later
			}
		}
		for _, d := range l.opaque {
			if d == "" || strings.HasPrefix(p, d+"/") {
				return Deleted, later
			}
		}
		// A later entry at this path replaces it, unless both are
		// directories (every layer lists the directories it writes in);
		// a later non-directory at a parent hides it.
		if laterIsDir, ok := l.written[maphash.String(x.seed, p)]; ok && !(isDir && laterIsDir) {
			return Replaced, later
		}
		for q := path.Dir(p); q != "." && q != "/" && q != ""; q = path.Dir(q) {
			if laterIsDir, ok := l.written[maphash.String(x.seed, q)]; ok && !laterIsDir {
				return Deleted, later
			}
		}
	}
	return Visible, 0
}

// sortedBlobNames returns blob paths in a stable order for reporting.
func (x *exportReader) sortedBlobNames() []string {
	names := make([]string, 0, len(x.blobs))
	for n := range x.blobs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
