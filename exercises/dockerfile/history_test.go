package dockerfile

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// buildkitImage converts a Dockerfile with BuildKit's frontend, as a build
// would, and returns the image config it would produce for the target:
// the history entries and the environment that the analysis predicts.
func buildkitImage(src []byte, opts Options) (*dockerspec.DockerOCIImage, error) {
	p, err := targetPlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	res, err := dockerfile2llb.Dockerfile2LLB(context.Background(), src, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{
			BuildArgs:       maps.Clone(opts.BuildArgs),
			Target:          opts.Target,
			TargetPlatforms: []ocispecs.Platform{p},
			BuildPlatforms:  []ocispecs.Platform{p},
		},
		MetaResolver: offlineImages{},
	})
	if err != nil {
		return nil, err
	}
	return res.Image, nil
}

// predictedRunPrefixes is what the analysis says the target's RUN history
// entries start with: `RUN |2 A=1 B=2 ` when ARGs are in scope, `RUN `
// otherwise. The target's history holds the RUNs of the stages it is built
// FROM, then its own.
func predictedRunPrefixes(a *Analysis) []string {
	var out []string
	for _, i := range a.lineage(a.Target) {
		for _, run := range a.Stages[i].Runs {
			prefix := "RUN "
			if n := len(run.RecordedArgs); n > 0 {
				prefix += fmt.Sprintf("|%d ", n)
				for _, v := range run.RecordedArgs {
					prefix += v.Name + "=" + v.Value + " "
				}
			}
			out = append(out, prefix)
		}
	}
	return out
}

// compareWithBuildKit checks the analysis against BuildKit's own conversion:
// every RUN history entry carries exactly the ARGs the analysis recorded, and
// every ENV of the target's lineage has the value the analysis computed.
func compareWithBuildKit(src []byte, opts Options, a *Analysis) error {
	img, err := buildkitImage(src, opts)
	if err != nil {
		return fmt.Errorf("BuildKit conversion: %w", err)
	}
	var runs []string
	for _, h := range img.History {
		if strings.HasPrefix(h.CreatedBy, "RUN ") {
			runs = append(runs, h.CreatedBy)
		}
	}
	want := predictedRunPrefixes(a)
	if len(runs) != len(want) {
		return fmt.Errorf("BuildKit has %d RUN history entries %q, the analysis predicts %d", len(runs), runs, len(want))
	}
	for i, got := range runs {
		if !strings.HasPrefix(got, want[i]) {
			return fmt.Errorf("RUN %d: BuildKit records %q, the analysis predicts a start of %q", i, got, want[i])
		}
		if !strings.Contains(want[i], "|") && strings.HasPrefix(got, "RUN |") {
			return fmt.Errorf("RUN %d: BuildKit records ARGs %q, the analysis none", i, got)
		}
	}
	env := map[string]string{}
	for _, kv := range img.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, i := range a.lineage(a.Target) {
		for _, v := range a.Stages[i].Env {
			last := v
			// A later ENV of the same name in the lineage wins.
			for _, j := range a.lineage(a.Target) {
				for _, w := range a.Stages[j].Env {
					if w.Name == v.Name && (j > i || (j == i && w.Line >= last.Line)) {
						last = w
					}
				}
			}
			if got, ok := env[v.Name]; !ok || got != last.Value {
				return fmt.Errorf("ENV %s: BuildKit has %q (set %v), the analysis %q", v.Name, got, ok, last.Value)
			}
		}
	}
	return nil
}

func TestRecordedArgsMatchBuildKitHistory(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
	}{
		{"no ARG", "FROM alpine\nRUN true\n", Options{}},
		{"passed build arg", "FROM alpine\nARG BUILD_REPO_SECRET\nRUN git clone https://x:$BUILD_REPO_SECRET@example.com/r.git\n",
			Options{BuildArgs: map[string]string{"BUILD_REPO_SECRET": "secr3t"}}},
		{"ARG without value is recorded empty", "FROM alpine\nARG UNSET\nRUN true\n", Options{}},
		{"defaults, overrides and order", "FROM alpine\nARG B=2\nARG A=1\nRUN one\nARG B=3\nRUN two\n", Options{BuildArgs: map[string]string{"A": "x"}}},
		{"ENV overrides the ARG", "FROM alpine\nARG V=arg\nENV V=env\nRUN true\n", Options{}},
		{"global ARG redeclared", "ARG V=global\nFROM alpine\nARG V\nRUN true\n", Options{}},
		{"global ARG not redeclared", "ARG V=global\nFROM alpine\nRUN true\n", Options{}},
		{"default refers to ENV", "FROM alpine\nENV BASE=/opt\nARG DIR=${BASE}/app\nRUN true\n", Options{}},
		{"inherited through FROM a stage", "FROM alpine AS build\nARG TOKEN\nRUN a\nFROM build\nARG OTHER=o\nRUN b\n",
			Options{BuildArgs: map[string]string{"TOKEN": "t0k"}}},
		{"target stage", "FROM alpine AS build\nARG TOKEN\nRUN a\nFROM alpine\nRUN b\n",
			Options{Target: "build", BuildArgs: map[string]string{"TOKEN": "t0k"}}},
		{"automatic platform ARGs", "FROM alpine\nARG TARGETARCH\nARG BUILDPLATFORM\nRUN true\n", Options{Platform: "linux/arm64/v8"}},
		{"multi-key ARG and ENV", "FROM alpine\nARG A=1 B=2\nENV C=$A D=${B}x\nRUN true\n", Options{}},
		{"heredoc RUN", "FROM alpine\nARG X=1\nRUN <<EOF\necho $X\nEOF\n", Options{}},
		{"exec form RUN", "FROM alpine\nARG X=1\nRUN [\"echo\", \"hi\"]\n", Options{}},
		{"backtick escape", "# escape=`\nFROM alpine\nARG X=a`b\nRUN echo `\n  hi\n", Options{}},
		{"quotes in defaults", "FROM alpine\nARG Q=\"a b\"\nARG S='$Q'\nRUN true\n", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Analyze([]byte(tt.src), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := compareWithBuildKit([]byte(tt.src), tt.opts, a); err != nil {
				t.Error(err)
			}
		})
	}
}
