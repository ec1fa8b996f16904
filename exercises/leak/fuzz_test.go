package leak

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"
	"time"
)

// fuzzLimits are small, so that fuzzed inputs cross piece boundaries and
// hit every cap quickly.
var fuzzLimits = limits{
	pieceSize:    61,
	metaFile:     4 << 10,
	metaTotal:    16 << 10,
	maxHits:      50,
	expandFactor: 20,
	expandSlack:  1 << 20,
	zstdWindow:   1 << 20,
}

// readFuzzedExport runs the export reader and the report assembly over
// data and checks what must hold for any input: no panic, an end in
// bounded time, and no finding that shows the secret.
func readFuzzedExport(t *testing.T, data []byte) {
	m := mustMatcher(t, canary)
	x := newExportReader(m, fuzzLimits)
	defer x.close()
	// A hang inside a single read would never see a deadline, so a
	// watchdog crashes the process instead: the fuzzer then keeps the
	// input as a failure.
	watchdog := time.AfterFunc(time.Minute, func() {
		panic(fmt.Sprintf("reading a %d-byte export has not ended after a minute", len(data)))
	})
	defer watchdog.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := x.read(ctx, bytes.NewReader(data))
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reading a %d-byte export took over 30s", len(data))
	}
	r := &Report{}
	found, _, _ := x.findings("sha256:"+canary, platform{"linux", "amd64", ""}, nil, r)
	out, jerr := json.Marshal(found)
	if jerr != nil {
		t.Fatal(jerr)
	}
	if bytes.Contains(out, []byte(canary)) {
		t.Fatalf("findings show the secret: %s", out)
	}
	for _, f := range found {
		if f.Count < 1 || f.Excerpt == "" && f.Count > 0 && f.Encoding == "" {
			t.Fatalf("malformed finding %+v", f)
		}
	}
}

func seedExports(f *testing.F) {
	for _, layout := range []exportLayout{dockerArchive, ociLayout} {
		for _, comp := range []string{"", "gzip", "zstd"} {
			img := testImage{steps: []testStep{
				{createdBy: "ADD base", files: []testFile{{name: "etc/motd", body: []byte("motd " + canary)}, {name: "etc/.wh.gone"}}},
				{createdBy: "RUN x " + canary, files: []testFile{{name: "app/" + canary, body: []byte("x")}, {name: "app/.wh..wh..opq"}, {name: "l", typeflag: tar.TypeSymlink, link: canary}}},
			}}
			data, _ := buildExport(f, img, exportOptions{layout: layout, compression: comp, linkLayers: layout == dockerArchive})
			f.Add(data)
			f.Add(data[:len(data)/2])
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, 1024))
}

// FuzzExportReader feeds whole export archives.
func FuzzExportReader(f *testing.F) {
	seedExports(f)
	f.Fuzz(readFuzzedExport)
}

// FuzzLayerReader puts the fuzzed bytes into a well-formed export as a
// layer blob, so the fuzzer works on the layer path: compression
// detection, decompression, the inner tar and whiteouts.
func FuzzLayerReader(f *testing.F) {
	t := &testing.T{}
	for _, comp := range []string{"", "gzip", "zstd"} {
		layer := tarOf(t, []testFile{
			{name: "a/", typeflag: tar.TypeDir},
			{name: "a/secret", body: []byte("k=" + canary)},
			{name: "a/.wh.b"},
			{name: "a/.wh..wh..opq"},
			{name: "h", typeflag: tar.TypeLink, link: "a/secret"},
		})
		f.Add(compress(t, layer, comp))
	}
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, layer []byte) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		manifest := []byte(`[{"Config":"c.json","Layers":["l/layer.tar"]}]`)
		for _, e := range []struct {
			name string
			body []byte
		}{
			{"l/layer.tar", layer},
			{"c.json", []byte(`{"history":[{"created_by":"RUN x"}]}`)},
			{"manifest.json", manifest},
		} {
			tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg})
			tw.Write(e.body)
		}
		tw.Close()
		readFuzzedExport(t, buf.Bytes())
	})
}

// FuzzLayerFiles builds well-formed layers from the fuzzed text (layers
// split by '|', entries by newlines, "name=body"), so the fuzzer explores
// paths, whiteouts and contents rather than tar checksums. Beyond not
// failing, every regular file whose body holds the secret must be
// reported, in the right layer.
func FuzzLayerFiles(f *testing.F) {
	f.Add("etc/motd=hello "+canary+"\nbin/sh=x|etc/.wh.motd\napp/=|app/.wh..wh..opq\nk="+canary, uint8(0))
	f.Add("a/b/c="+canary+canary+"|a/b=file|"+canary+"=", uint8(1))
	f.Add("./x/../y="+canary+"|/y=z", uint8(2))
	f.Fuzz(func(t *testing.T, spec string, comp uint8) {
		compression := []string{"", "gzip", "zstd"}[comp%3]
		var img testImage
		type want struct {
			layer int
			path  string
		}
		var wants []want
		for i, layerSpec := range strings.Split(spec, "|") {
			if i == 8 {
				break
			}
			step := testStep{createdBy: fmt.Sprintf("RUN step %d", i), layer: true}
			seen := map[string]bool{}
			for _, line := range strings.Split(layerSpec, "\n") {
				name, body, _ := strings.Cut(line, "=")
				clean := cleanLayerPath(name)
				if name == "" || strings.ContainsRune(name, 0) || seen[clean] || clean == "" {
					continue
				}
				seen[clean] = true
				tf := testFile{name: name, body: []byte(body)}
				if strings.HasSuffix(name, "/") {
					tf = testFile{name: name, typeflag: tar.TypeDir}
				} else if strings.Contains(body, canary) && !strings.HasPrefix(path.Base(clean), ".wh.") {
					wants = append(wants, want{img.layers(), clean})
				}
				step.files = append(step.files, tf)
			}
			img.steps = append(img.steps, step)
		}
		data, id := buildExport(t, img, exportOptions{compression: compression})
		fake := rawFake("f:1", id, []byte(`{"Id":"`+id+`"}`), data)
		r, err := scan(context.Background(), fake, "f:1", []byte(canary), Options{MaxFindings: 1 << 20}, fuzzLimits)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(r)
		if bytes.Contains(out, []byte(canary)) {
			t.Fatalf("report shows the secret: %s", out)
		}
		if r.Omitted > 0 {
			return
		}
		for _, w := range wants {
			ok := false
			for _, f := range r.Findings {
				if f.Source == SourceLayer && !f.Layer.InName && f.Layer.Index == w.layer && f.Encoding == Plain &&
					f.Layer.Path == mustMatcher(t, canary).redact([]byte(w.path)) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("file %s of layer %d holds the secret but was not reported\n%s", w.path, w.layer, describe(r))
			}
		}
	})
}
