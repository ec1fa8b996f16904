package dockerfile

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/util/suggest"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// lint runs BuildKit's Dockerfile frontend over the file the way
// `docker build --check` does, so the warnings are BuildKit's own (all of
// its rules, `# check=skip=…` honoured) rather than a copy of them. The
// frontend wants each base image's config; offlineImages answers with an
// empty one so nothing is pulled. The conversion's error, if any, is a
// build error: BuildKit would stop there.
func lint(src []byte, opts Options, platform ocispecs.Platform) (warnings []Warning, buildErr error) {
	var mu sync.Mutex // base images are resolved concurrently, and so warned about
	warn := func(rule, description, url, message string, location []parser.Range) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, Warning{
			Rule:        rule,
			Message:     message,
			Description: description,
			URL:         url,
			Line:        firstLine(location),
		})
	}
	defer func() {
		// The frontend is third-party code running on a learner's file; a
		// crash in it must not take the tutor down.
		if r := recover(); r != nil {
			buildErr = fmt.Errorf("BuildKit's Dockerfile checks crashed: %v", r)
		}
		mu.Lock()
		defer mu.Unlock()
		slices.SortStableFunc(warnings, compareWarnings)
	}()

	_, buildErr = dockerfile2llb.Dockerfile2LLB(context.Background(), src, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{
			// The frontend may rewrite build args (SOURCE_DATE_EPOCH).
			BuildArgs:       maps.Clone(opts.BuildArgs),
			Target:          opts.Target,
			TargetPlatforms: []ocispecs.Platform{platform},
			BuildPlatforms:  []ocispecs.Platform{platform},
		},
		MetaResolver: offlineImages{},
		AllStages:    true,
		Warn:         warn,
	})
	return warnings, buildErr
}

// offlineImages stands in for a registry: every image exists, has no layers
// and matches the requested platform, so the frontend checks the Dockerfile
// without pulling and without platform-mismatch warnings it cannot know.
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	var img ocispecs.Image
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		img.Platform = *opt.ImageOpt.Platform
	}
	config, err := json.Marshal(img)
	return ref, "", config, err
}

// stableSuggestions rewrites the "did you mean" of UndefinedArgInFrom
// warnings. BuildKit picks the suggestion while ranging over a map, so with
// two candidates at the same distance (ARG 1 and ARG 20 for $2) the warning
// changes from run to run; here ties go to the alphabetically first name,
// with BuildKit's own search and wording.
func stableSuggestions(warnings []Warning, undeclared map[int][]string, declared []string) []Warning {
	candidates := slices.Clone(declared)
	slices.Sort(candidates)
	candidates = slices.Compact(candidates)
	rule := &linter.RuleUndefinedArgInFrom
	for i, w := range warnings {
		if w.Rule != rule.Name {
			continue
		}
		for _, name := range undeclared[w.Line] {
			plain := rule.Format(name, "")
			if w.Message == plain || strings.HasPrefix(w.Message, plain+" (") {
				match, _ := suggest.Search(name, candidates, true)
				warnings[i].Message = rule.Format(name, match)
				break
			}
		}
	}
	slices.SortStableFunc(warnings, compareWarnings)
	return warnings
}

func compareWarnings(a, b Warning) int {
	return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message))
}
