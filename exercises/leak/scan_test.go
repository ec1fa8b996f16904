package leak

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// leakyImage has the secret in a build-arg RUN, in a file deleted by a
// later layer, base64-encoded in another file, in a file name, and in a
// file written over later; and a clean file everywhere else.
func leakyImage() testImage {
	big := make([]byte, 300<<10)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range big {
		big[i] = byte('a' + rng.IntN(26))
	}
	// The secret sits across the 256 KiB piece boundary of a big file.
	copy(big[256<<10-5:], "TOKEN="+canary)
	return testImage{
		env: []string{"PATH=/bin"},
		steps: []testStep{
			{createdBy: "/bin/sh -c #(nop) ADD file:base in /", files: []testFile{
				{name: "bin/", typeflag: '5'},
				{name: "bin/sh", body: []byte("#!busybox")},
				{name: "etc/", typeflag: '5'},
				{name: "etc/config", body: []byte("secret=dt-canary-7f3a9c2f\n")}, // near miss
				{name: "etc/motd", body: []byte("old motd " + canary + "\n")},
			}},
			{createdBy: "/bin/sh -c #(nop)  ARG BUILD_REPO_SECRET"},
			{createdBy: "|1 BUILD_REPO_SECRET=" + canary + " /bin/sh -c echo $BUILD_REPO_SECRET > /app/token", files: []testFile{
				{name: "app/", typeflag: '5'},
				{name: "app/token", body: []byte(canary + "\n")},
				{name: "app/big.bin", body: big},
				{name: "app/encoded", body: []byte("auth: " + base64.StdEncoding.EncodeToString([]byte("user:"+canary)) + "\n")},
				{name: "app/" + canary + ".pem", body: []byte("nothing")},
			}},
			{createdBy: "|1 BUILD_REPO_SECRET=" + canary + " /bin/sh -c rm /app/token", files: []testFile{
				{name: "app/", typeflag: '5'},
				{name: "app/.wh.token"},
				{name: "etc/motd", body: []byte("new motd\n")},
			}},
		},
	}
}

func scanFake(t *testing.T, f *fakeImages, lim limits) *Report {
	t.Helper()
	r, err := scan(context.Background(), f, f.ref, []byte(canary), Options{}, lim)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("report does not serialise: %v", err)
	}
	if bytes.Contains(out, []byte(canary)) || bytes.Contains(out, []byte(hex.EncodeToString([]byte(canary)))) {
		i := max(0, bytes.Index(out, []byte(canary))-200)
		t.Fatalf("report shows the secret: …%s…", out[i:min(len(out), i+400)])
	}
	for _, f := range r.Findings {
		if strings.Contains(f.String(), canary) {
			t.Fatalf("finding text shows the secret: %s", f)
		}
	}
	return r
}

func layerFinding(r *Report, path string, inName bool, enc Encoding) *Finding {
	for i, f := range r.Findings {
		if f.Source == SourceLayer && f.Layer.Path == path && f.Layer.InName == inName && f.Encoding == enc {
			return &r.Findings[i]
		}
	}
	return nil
}

func describe(r *Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintln(&b, " ", f)
	}
	fmt.Fprintln(&b, "  problems:", r.Problems)
	return b.String()
}

// Every layout and compression Docker exports, in any entry order, gives
// the same findings.
func TestScanFindsEveryPlaceInEveryLayout(t *testing.T) {
	lim := defaultLimits
	for _, layout := range []exportLayout{dockerArchive, ociLayout} {
		for _, comp := range []string{"", "gzip", "zstd"} {
			for seed := range uint64(4) {
				name := fmt.Sprintf("layout%d/%s/order%d", layout, comp, seed)
				t.Run(name, func(t *testing.T) {
					o := exportOptions{layout: layout, compression: comp}
					if seed > 0 {
						o.shuffle = rand.New(rand.NewPCG(seed, 99))
					}
					r := scanFake(t, newFake(t, "leaky:1", leakyImage(), o), lim)
					checkLeakyReport(t, r)
				})
			}
		}
	}
}

func checkLeakyReport(t *testing.T, r *Report) {
	t.Helper()
	if !r.Complete() {
		t.Fatalf("problems: %v", r.Problems)
	}
	if r.Layers != 3 {
		t.Fatalf("layers = %d, want 3\n%s", r.Layers, describe(r))
	}
	var history []int
	for _, f := range r.Findings {
		if f.Source == SourceHistory {
			history = append(history, f.History.Index)
			if !strings.Contains(f.Excerpt, "BUILD_REPO_SECRET=dt…") {
				t.Errorf("history excerpt %q", f.Excerpt)
			}
		}
	}
	if fmt.Sprint(history) != "[2 3]" {
		t.Errorf("history findings at %v, want [2 3]\n%s", history, describe(r))
	}
	token := layerFinding(r, "app/token", false, Plain)
	if token == nil {
		t.Fatalf("app/token not found\n%s", describe(r))
	}
	if token.Layer.Index != 1 || token.Layer.State != Deleted || token.Layer.By != 2 {
		t.Errorf("app/token: %+v, want layer 1 deleted by layer 2", token.Layer)
	}
	if token.History == nil || token.History.Index != 2 || !strings.Contains(token.History.CreatedBy, "echo $BUILD_REPO_SECRET") {
		t.Errorf("app/token made by %+v, want history entry 2", token.History)
	}
	if got, want := token.Place(), "layer 1, app/token (deleted by layer 2, still in this one)"; got != want {
		t.Errorf("app/token placed as %q, want %q", got, want)
	}
	if s := token.String(); !strings.HasPrefix(s, token.Place()+" (made by `") || !strings.HasSuffix(s, ": "+token.Detail()) {
		t.Errorf("app/token described as %q", s)
	}
	motd := layerFinding(r, "etc/motd", false, Plain)
	if motd == nil || motd.Layer.Index != 0 || motd.Layer.State != Replaced || motd.Layer.By != 2 {
		t.Errorf("etc/motd: %+v, want layer 0 replaced by layer 2", motd)
	}
	big := layerFinding(r, "app/big.bin", false, Plain)
	if big == nil || big.Layer.State != Visible || !strings.Contains(big.Excerpt, "TOKEN=dt…") {
		t.Errorf("app/big.bin: %+v", big)
	}
	if enc := layerFinding(r, "app/encoded", false, Base64); enc == nil || !strings.HasPrefix(enc.Excerpt, "auth: ") {
		t.Errorf("base64 in app/encoded: %+v", enc)
	}
	if name := layerFinding(r, "app/dt….pem", true, Plain); name == nil {
		t.Errorf("secret in a file name not found\n%s", describe(r))
	}
	for _, f := range r.Findings {
		if f.Source == SourceLayer && f.Layer.Path == "etc/config" {
			t.Errorf("near miss reported: %s", f)
		}
	}
	var inspect []string
	for _, f := range r.Findings {
		if f.Source == SourceInspect {
			inspect = append(inspect, f.Field)
		}
	}
	if fmt.Sprint(inspect) != "[ContainerConfig.Cmd[2]]" {
		t.Errorf("inspect findings %v, want [ContainerConfig.Cmd[2]]", inspect)
	}
	// The config's history repeats what docker history showed.
	if r.RepeatedInMetadata == 0 {
		t.Errorf("the config's copies of the history were not counted")
	}
}

func TestScanCleanImageFindsNothing(t *testing.T) {
	img := testImage{env: []string{"PATH=/bin"}, steps: []testStep{
		{createdBy: "ADD file:base in /", files: []testFile{{name: "etc/config", body: []byte("secret=dt-canary-7f3a9c2f")}}},
		{createdBy: "COPY --from=build /out/app /app", files: []testFile{{name: "app", body: bytes.Repeat([]byte("dt-canary-"), 50000)}}},
	}}
	for _, layout := range []exportLayout{dockerArchive, ociLayout} {
		r := scanFake(t, newFake(t, "clean:1", img, exportOptions{layout: layout, compression: "gzip"}), defaultLimits)
		if r.Found() || !r.Complete() || r.Layers != 2 {
			t.Fatalf("clean image: found=%v layers=%d\n%s", r.Found(), r.Layers, describe(r))
		}
	}
}

func TestScanFindsEnvInConfig(t *testing.T) {
	img := testImage{env: []string{"BUILD_REPO_SECRET=" + canary, "PATH=/bin"}, steps: []testStep{
		{createdBy: "ADD file:base in /", files: []testFile{{name: "bin/sh", body: []byte("x")}}},
		{createdBy: "/bin/sh -c #(nop)  ENV BUILD_REPO_SECRET=" + canary},
	}}
	r := scanFake(t, newFake(t, "env:1", img, exportOptions{}), defaultLimits)
	var fields []string
	for _, f := range r.Findings {
		if f.Source == SourceInspect {
			fields = append(fields, f.Field)
			if f.Field == "Config.Env[0]" && f.Excerpt != "BUILD_REPO_SECRET=dt…" {
				t.Errorf("excerpt %q", f.Excerpt)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(fields), "Config.Env[0]") {
		t.Fatalf("inspect findings %v lack Config.Env[0]\n%s", fields, describe(r))
	}
}

// A layer Docker shares between images is a symlink in the export; it is
// still the image's layer 0.
func TestScanFollowsLinkedLayers(t *testing.T) {
	r := scanFake(t, newFake(t, "leaky:1", leakyImage(), exportOptions{linkLayers: true, shuffle: rand.New(rand.NewPCG(3, 3))}), defaultLimits)
	checkLeakyReport(t, r)
}

// Blobs of the export that are not the image's layers are searched too.
func TestScanReportsBlobsOutsideTheImage(t *testing.T) {
	other := compress(t, tarOf(t, []testFile{{name: "secret.txt", body: []byte(canary)}}), "gzip")
	f := newFake(t, "leaky:1", testImage{steps: []testStep{{createdBy: "ADD x", files: []testFile{{name: "x", body: []byte("x")}}}}},
		exportOptions{layout: ociLayout, extraBlobs: map[string][]byte{"blobs/sha256/" + strings.Repeat("e", 64): other}})
	r := scanFake(t, f, defaultLimits)
	got := layerFinding(r, "secret.txt", false, Plain)
	if got == nil || got.Layer.Index != -1 {
		t.Fatalf("foreign blob finding %+v\n%s", got, describe(r))
	}
}

func TestScanOpaqueDirectoryDeletes(t *testing.T) {
	img := testImage{steps: []testStep{
		{createdBy: "ADD a", files: []testFile{{name: "cache/deep/key", body: []byte(canary)}}},
		{createdBy: "RUN reset cache", files: []testFile{{name: "cache/", typeflag: '5'}, {name: "cache/.wh..wh..opq"}}},
	}}
	r := scanFake(t, newFake(t, "opq:1", img, exportOptions{}), defaultLimits)
	f := layerFinding(r, "cache/deep/key", false, Plain)
	if f == nil || f.Layer.State != Deleted || f.Layer.By != 1 {
		t.Fatalf("opaque whiteout: %+v\n%s", f, describe(r))
	}
}

func TestScanNamesTheImageIDEverywhere(t *testing.T) {
	f := newFake(t, "leaky:1", leakyImage(), exportOptions{})
	r := scanFake(t, f, defaultLimits)
	if r.ImageID != f.id || fmt.Sprint(f.exportRefs()) != "[["+f.id+"]]" {
		t.Fatalf("scan exported %v, want the ID %s", f.exportRefs(), f.id)
	}
}

func TestScanErrors(t *testing.T) {
	f := newFake(t, "leaky:1", leakyImage(), exportOptions{})
	ctx := context.Background()
	if _, err := Scan(ctx, f, "missing:1", []byte(canary), Options{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing image: %v, want ErrNotFound", err)
	}
	if _, err := Scan(ctx, f, "leaky:1", []byte("abc"), Options{}); err == nil {
		t.Error("short secret accepted")
	}
	// A cut-off export is an error, never a clean bill.
	full := f.img.Export
	for _, cut := range []int{len(full) / 3, len(full) - 1500} {
		f.img.Export = full[:cut]
		if r, err := Scan(ctx, f, "leaky:1", []byte(canary), Options{}); err == nil {
			t.Errorf("export cut at %d of %d: no error, report %+v", cut, len(full), r)
		}
	}
	f.img.Export = full
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Scan(cancelled, f, "leaky:1", []byte(canary), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled scan: %v", err)
	}
}

// A broken layer is a problem on the report, and the rest is still read.
func TestScanReportsUnreadableLayer(t *testing.T) {
	img := leakyImage()
	f := newFake(t, "leaky:1", img, exportOptions{layout: ociLayout, compression: "gzip"})
	// Corrupt the first layer's compressed data after its gzip header.
	firstLayer := compress(t, tarOf(t, img.steps[0].files), "gzip")
	at := bytes.Index(f.img.Export, firstLayer)
	if at < 0 {
		t.Fatal("layer not found in export")
	}
	for i := at + 20; i < at+60; i++ {
		f.img.Export[i] ^= 0x5a
	}
	r := scanFake(t, f, defaultLimits)
	if r.Complete() {
		t.Fatalf("corrupt layer not reported\n%s", describe(r))
	}
	if layerFinding(r, "app/token", false, Plain) == nil {
		t.Fatalf("layers after the broken one were not searched\n%s", describe(r))
	}
}

func TestScanCapsFindings(t *testing.T) {
	var files []testFile
	for i := range 50 {
		files = append(files, testFile{name: fmt.Sprintf("f%d", i), body: []byte(canary)})
	}
	img := testImage{steps: []testStep{{createdBy: "ADD many", files: files}}}
	r, err := scan(context.Background(), newFake(t, "many:1", img, exportOptions{}), "many:1", []byte(canary), Options{MaxFindings: 10}, defaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 10 || r.Omitted != 40 || !r.Found() {
		t.Fatalf("findings %d omitted %d", len(r.Findings), r.Omitted)
	}
}

func TestSkipLayersSaysSo(t *testing.T) {
	f := newFake(t, "leaky:1", leakyImage(), exportOptions{})
	r, err := Scan(context.Background(), f, "leaky:1", []byte(canary), Options{SkipLayers: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Complete() || len(f.exportRefs()) != 0 || !r.Found() {
		t.Fatalf("skip layers: complete=%v exports=%v", r.Complete(), f.exportRefs())
	}
}

// ociImage is one platform's image inside a hand-made OCI export.
type ociImage struct {
	arch, config, manifest string // digests
	entries                map[string][]byte
}

func makeOCIImage(t *testing.T, arch string, files []testFile) ociImage {
	layer := compress(t, tarOf(t, files), "gzip")
	config, _ := json.Marshal(map[string]any{
		"architecture": arch, "os": "linux",
		"history": []map[string]any{{"created_by": "ADD files for " + arch}},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{digestOf(tarOf(t, files))}},
	})
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digestOf(config), "size": len(config)},
		"layers": []map[string]any{{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digestOf(layer), "size": len(layer)}},
	})
	return ociImage{arch: arch, config: digestOf(config), manifest: digestOf(manifest), entries: map[string][]byte{
		blobPath(digestOf(layer)): layer, blobPath(digestOf(config)): config, blobPath(digestOf(manifest)): manifest,
	}}
}

// A multi-platform export (the containerd image store) holds every
// platform's layers; the scanned image is the one inspect described, and
// the other platform's files are reported as outside the image.
func TestScanPicksThePlatformOfAMultiPlatformExport(t *testing.T) {
	arm := makeOCIImage(t, "arm64", []testFile{{name: "arm-only", body: []byte(canary)}})
	amd := makeOCIImage(t, "amd64", []testFile{{name: "amd-only", body: []byte(canary)}})
	desc := func(img ociImage) map[string]any {
		return map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": img.manifest, "size": 1,
			"platform": map[string]any{"os": "linux", "architecture": img.arch}}
	}
	innerIndex, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []any{desc(arm), desc(amd)}})
	indexDigest := digestOf(innerIndex)
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{
		"mediaType": "application/vnd.oci.image.index.v1+json", "digest": indexDigest, "size": len(innerIndex)}}})

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, body []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write(body)
	}
	for _, img := range []ociImage{arm, amd} {
		for name, body := range img.entries {
			add(name, body)
		}
	}
	add(blobPath(indexDigest), innerIndex)
	add("index.json", index)
	tw.Close()

	// The containerd store names the image by its index digest, the
	// graph-driver store by its config digest.
	for _, id := range []string{indexDigest, amd.config} {
		inspect, _ := json.Marshal(map[string]any{"Id": id, "Os": "linux", "Architecture": "amd64"})
		f := rawFake("multi:1", id, inspect, buf.Bytes())
		r := scanFake(t, f, defaultLimits)
		own, other := layerFinding(r, "amd-only", false, Plain), layerFinding(r, "arm-only", false, Plain)
		if own == nil || own.Layer.Index != 0 || other == nil || other.Layer.Index != -1 || r.Layers != 1 {
			t.Fatalf("ID %s: amd64 file %+v, arm64 file %+v\n%s", id, own, other, describe(r))
		}
		if !strings.Contains(other.String(), "not a layer of this image") {
			t.Fatalf("foreign layer described as %q", other)
		}
	}
}

// Which later entries hide an earlier one: a directory listed again stays
// visible, a file turned into a directory is replaced, a file under a
// directory turned into a file is gone.
func TestScanFileFates(t *testing.T) {
	img := testImage{steps: []testStep{
		{createdBy: "ADD a", files: []testFile{
			{name: "keys-" + canary + "/", typeflag: tar.TypeDir},
			{name: "conf", body: []byte(canary)},
			{name: "opt/app/key", body: []byte(canary)},
		}},
		{createdBy: "RUN b", files: []testFile{
			{name: "keys-" + canary + "/", typeflag: tar.TypeDir},
			{name: "keys-" + canary + "/other", body: []byte("x")},
			{name: "conf/", typeflag: tar.TypeDir},
			{name: "opt/", typeflag: tar.TypeDir},
			{name: "opt/app", body: []byte("now a file")},
		}},
	}}
	r := scanFake(t, newFake(t, "fates:1", img, exportOptions{}), defaultLimits)
	for _, c := range []struct {
		path   string
		inName bool
		state  FileState
	}{
		{"keys-dt…", true, Visible},
		{"conf", false, Replaced},
		{"opt/app/key", false, Deleted},
	} {
		f := layerFinding(r, c.path, c.inName, Plain)
		if f == nil || f.Layer.Index != 0 || f.Layer.State != c.state {
			t.Errorf("%s: %+v, want %s\n%s", c.path, f, c.state, describe(r))
		}
	}
}
