package dockerfile

import (
	"path"
	"slices"
	"strings"
)

// FinalStage is the stage the build produces (the target).
func (a *Analysis) FinalStage() *Stage {
	return &a.Stages[a.Target]
}

// StageNamed finds a stage by its alias (case-insensitive, as BuildKit); a
// later stage of the same name wins.
func (a *Analysis) StageNamed(name string) (*Stage, bool) {
	if i, ok := stageIndexByName(a.Stages, name); ok {
		return &a.Stages[i], true
	}
	return nil, false
}

// FromImage is an image a stage is built FROM.
type FromImage struct {
	Stage StageRef `json:"stage"`
	// Line is the line of the FROM instruction.
	Line  int   `json:"line"`
	Image Image `json:"image"`
}

// BaseImages lists the images the stages are built FROM, in order (a stage
// built FROM scratch or another stage has none; one whose name is invalid
// neither).
func (a *Analysis) BaseImages() []FromImage {
	var out []FromImage
	for _, s := range a.Stages {
		if s.Base.Image != nil {
			out = append(out, FromImage{Stage: StageRef{Index: s.Index, Name: s.Name}, Line: s.Line, Image: *s.Base.Image})
		}
	}
	return out
}

// RootBase follows a stage's FROM through earlier stages to what it finally
// builds on: an image, scratch, or an invalid name. `FROM build` in the
// final stage answers with the base of the build stage.
func (a *Analysis) RootBase(stage int) Base {
	b := a.Stages[stage].Base
	// FROM only names earlier stages, so the chain always ends.
	for b.Kind == BaseStage {
		b = a.Stages[b.Stage.Index].Base
	}
	return b
}

// CopiesFromEarlierStage reports whether a stage has a COPY --from naming a
// stage declared before it: the multi-stage pattern where the final image
// takes only the build's output.
func (a *Analysis) CopiesFromEarlierStage(stage int) bool {
	for _, c := range a.Stages[stage].Copies {
		if c.Stage != nil && c.Stage.Index < stage {
			return true
		}
	}
	return false
}

// SecretMount is a RUN --mount=type=secret, with BuildKit's defaults.
type SecretMount struct {
	Stage StageRef `json:"stage"`
	// Used is false when the build of the target skips the stage.
	Used bool `json:"used"`
	// Line is the line of the RUN instruction.
	Line   int    `json:"line"`
	ID     string `json:"id"`
	Target string `json:"target,omitempty"`
	Env    string `json:"env,omitempty"`
	// Required makes the build fail when the secret is not passed.
	Required bool `json:"required,omitempty"`
}

// SecretMounts lists every secret mount of every RUN, in order.
func (a *Analysis) SecretMounts() []SecretMount {
	var out []SecretMount
	for _, s := range a.Stages {
		for _, run := range s.Runs {
			for _, m := range run.Mounts {
				if m.Type != "secret" {
					continue
				}
				out = append(out, SecretMount{
					Stage:    StageRef{Index: s.Index, Name: s.Name},
					Used:     s.Used,
					Line:     run.Line,
					ID:       m.ID,
					Target:   m.Target,
					Env:      m.Env,
					Required: m.Required,
				})
			}
		}
	}
	return out
}

// UsesSecretMount reports whether a RUN that the build actually runs mounts
// the secret with this id.
func (a *Analysis) UsesSecretMount(id string) bool {
	for _, m := range a.SecretMounts() {
		if m.Used && m.ID == id {
			return true
		}
	}
	return false
}

// SecretLookingVariables lists the ARG and ENV keys in a stage's scope whose
// names BuildKit's SecretsUsedInArgOrEnv rule flags, or that hold a secret
// word glued to others (APPTOKEN, repoToken): those the stage
// declares and those it inherits by being built FROM another stage (whose
// ARGs still reach its RUN history and whose ENVs stay in its config).
func (a *Analysis) SecretLookingVariables(stage int) []Variable {
	var out []Variable
	for _, i := range a.lineage(stage) {
		s := a.Stages[i]
		for _, v := range s.Args {
			if v.LooksSecret || v.LooksSecretGlued {
				out = append(out, v)
			}
		}
		for _, v := range s.Env {
			if v.LooksSecret || v.LooksSecretGlued {
				out = append(out, v)
			}
		}
	}
	return out
}

// ArgsInRuns lists the ARGs whose values BuildKit records in the history of
// a stage's RUN instructions (and sets in their environment), once per
// name and value, in order of first appearance. FromBuildArg tells which
// values came from --build-arg.
func (a *Analysis) ArgsInRuns(stage int) []Variable {
	var out []Variable
	seen := map[[2]string]bool{}
	for _, run := range a.Stages[stage].Runs {
		for _, v := range run.RecordedArgs {
			key := [2]string{v.Name, v.Value}
			if !seen[key] {
				seen[key] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// HasWarning reports whether BuildKit's linter raised the rule (for example
// "SecretsUsedInArgOrEnv"); rule names compare case-insensitively.
func (a *Analysis) HasWarning(rule string) bool {
	for _, w := range a.Warnings {
		if strings.EqualFold(w.Rule, rule) {
			return true
		}
	}
	return false
}

// lineage is the stage and the stages it is built FROM, oldest first.
func (a *Analysis) lineage(stage int) []int {
	chain := []int{stage}
	for b := a.Stages[stage].Base; b.Kind == BaseStage; b = a.Stages[b.Stage.Index].Base {
		chain = append([]int{b.Stage.Index}, chain...)
	}
	return chain
}

// ContextReadsOf lists the instructions of the stages the build runs that
// take the context file at path (a slash-separated path from the context's
// root) into the build: by its name, a pattern that matches it, or a
// folder that holds it (`COPY . .`).
func (a *Analysis) ContextReadsOf(file string) []ContextRead {
	file = cleanContextPath(file)
	var out []ContextRead
	for _, s := range a.Stages {
		if !s.Used {
			continue
		}
		for _, r := range s.ContextReads {
			if slices.ContainsFunc(r.Sources, func(src string) bool { return takesContextFile(src, file) }) {
				out = append(out, r)
			}
		}
	}
	return out
}

func cleanContextPath(p string) string {
	p = path.Clean("/" + strings.TrimSpace(p))
	return strings.TrimPrefix(p, "/")
}

// takesContextFile: the source names the file, a folder above it, or a
// pattern that matches either.
func takesContextFile(src, file string) bool {
	src = cleanContextPath(src)
	if src == "" {
		return true // ".", "/", "./": the whole context
	}
	for p := file; p != "." && p != ""; p = path.Dir(p) {
		if ok, err := path.Match(src, p); err == nil && ok || src == p {
			return true
		}
		if !strings.Contains(p, "/") {
			break
		}
	}
	return false
}
