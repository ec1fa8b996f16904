package builder

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// dockerfileFacts is what the builder reads from the Dockerfile itself to
// explain a failure better than the daemon's message alone. It is best
// effort: what the local parser cannot read stays empty, and the daemon's
// verdict on the Dockerfile stands.
type dockerfileFacts struct {
	// all holds every instruction in file order, ARGs before FROM included.
	all []instruction
	// stages holds each stage's instructions in order, FROM first.
	stages []stage
	// mountLines are the lines of RUN instructions with a --mount flag.
	mountLines []int
	// bases are the images the stages start from (expanded, without
	// scratch and without references to earlier stages).
	bases []baseImage
}

type stage struct {
	name         string // the AS name, lower case; empty when unnamed
	instructions []instruction
}

type instruction struct {
	original string
	line     int
}

type baseImage struct {
	ref  string
	line int
}

// readDockerfile parses a Dockerfile. buildArgs are the values the build
// passes, used to expand ARGs in FROM lines.
func readDockerfile(content []byte, buildArgs map[string]string) dockerfileFacts {
	var facts dockerfileFacts
	res, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		return facts
	}
	for _, node := range res.AST.Children {
		keyword := strings.ToLower(node.Value)
		facts.all = append(facts.all, instruction{original: node.Original, line: node.StartLine})
		if keyword == "from" {
			s := stage{}
			// FROM image AS name: the parser keeps the words as a chain.
			if n := node.Next; n != nil && n.Next != nil && strings.EqualFold(n.Next.Value, "as") && n.Next.Next != nil {
				s.name = strings.ToLower(n.Next.Next.Value)
			}
			facts.stages = append(facts.stages, s)
		}
		if len(facts.stages) > 0 {
			cur := &facts.stages[len(facts.stages)-1]
			cur.instructions = append(cur.instructions, instruction{original: node.Original, line: node.StartLine})
		}
		if keyword == "run" {
			for _, flag := range node.Flags {
				if strings.HasPrefix(flag, "--mount") {
					facts.mountLines = append(facts.mountLines, node.StartLine)
					break
				}
			}
		}
	}

	// A nil linter panics on "# check=" comments; this one only parses.
	stages, metaArgs, err := instructions.Parse(res.AST, linter.New(&linter.Config{SkipAll: true}))
	if err != nil {
		return facts
	}
	env := map[string]string{}
	for _, arg := range metaArgs {
		for _, kv := range arg.Args {
			if v, ok := buildArgs[kv.Key]; ok {
				env[kv.Key] = v
			} else if kv.Value != nil {
				env[kv.Key] = *kv.Value
			}
		}
	}
	envList := make([]string, 0, len(env))
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	lex := shell.NewLex(res.EscapeToken)
	seenStages := map[string]bool{}
	for _, st := range stages {
		name, _, err := lex.ProcessWord(st.BaseName, shell.EnvsFromSlice(envList))
		if err == nil && name != "" && !strings.EqualFold(name, "scratch") && !seenStages[strings.ToLower(name)] {
			line := 0
			if len(st.Location) > 0 {
				line = st.Location[0].Start.Line
			}
			facts.bases = append(facts.bases, baseImage{ref: name, line: line})
		}
		if st.Name != "" {
			seenStages[strings.ToLower(st.Name)] = true
		}
	}
	return facts
}

var (
	// "Step 2/5 : RUN make" (classic builder).
	classicStepPattern = regexp.MustCompile(`^Step (\d+)/(\d+) : `)
	// "[2/5] RUN make", "[builder 2/5] RUN make", "[stage-1 2/5] RUN make"
	// (BuildKit's Dockerfile frontend).
	buildkitStepPattern = regexp.MustCompile(`^\[(?:(\S+) )?(\d+)/(\d+)\] `)
	// Daemon messages name the line as "line 3", "on line 3" or "Dockerfile:3".
	lineInMessagePattern = regexp.MustCompile(`(?i)(?:\bline (\d+)\b|Dockerfile:(\d+)\b)`)
)

// lineOfStep maps a builder's step name to its Dockerfile line, 0 when the
// name does not match the Dockerfile as parsed here.
func (f dockerfileFacts) lineOfStep(step string) int {
	if m := classicStepPattern.FindStringSubmatch(step); m != nil {
		// The classic builder numbers every instruction of the file in
		// order (and appends one for the labels it was given).
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > len(f.all) {
			return 0
		}
		return f.all[n-1].line
	}
	m := buildkitStepPattern.FindStringSubmatch(step)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[2])
	total, _ := strconv.Atoi(m[3])
	var s *stage
	switch name := strings.ToLower(m[1]); {
	case name == "" && len(f.stages) == 1:
		s = &f.stages[0]
	case strings.HasPrefix(name, "stage-"):
		if k, err := strconv.Atoi(strings.TrimPrefix(name, "stage-")); err == nil && k >= 0 && k < len(f.stages) {
			s = &f.stages[k]
		}
	case name != "":
		for i := range f.stages {
			if f.stages[i].name == name {
				s = &f.stages[i]
				break
			}
		}
	}
	// BuildKit counts the stage's FROM as 1 and every later instruction;
	// a different total means the daemon read another Dockerfile than
	// this parser did, so no line is better than a wrong one.
	if s == nil || total != len(s.instructions) || n < 1 || n > total {
		return 0
	}
	return s.instructions[n-1].line
}

// lineInMessage returns the Dockerfile line a daemon message names, 0 when
// it names none.
func lineInMessage(msg string) int {
	m := lineInMessagePattern.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	for _, g := range m[1:] {
		if n, err := strconv.Atoi(g); err == nil {
			return n
		}
	}
	return 0
}

// mentions reports whether text names the image ref, in the form the
// Dockerfile wrote it or fully qualified (docker.io/library/...).
func mentions(text, ref string) bool {
	if strings.Contains(text, ref) {
		return true
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	return strings.Contains(text, reference.TagNameOnly(named).String()) || strings.Contains(text, named.Name())
}
