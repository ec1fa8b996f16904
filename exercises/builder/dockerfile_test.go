package builder

import (
	"slices"
	"testing"
)

func TestReadDockerfile(t *testing.T) {
	facts := readDockerfile([]byte(`# syntax comment
ARG VERSION=3.22
ARG REGISTRY
FROM ${REGISTRY}alpine:${VERSION} AS build
RUN --mount=type=secret,id=repo \
    cat /run/secrets/repo > /dev/null
FROM scratch AS empty
FROM build
COPY --from=empty / /
FROM Build AS again
RUN --mount=type=cache,target=/c true
`), map[string]string{"VERSION": "3.21"})

	if want := []int{5, 11}; !slices.Equal(facts.mountLines, want) {
		t.Errorf("mount lines %v, want %v", facts.mountLines, want)
	}
	// scratch and the stage references are not images to pull; the build
	// arg wins over the ARG default, and an unset ARG expands to nothing.
	if len(facts.bases) != 1 || facts.bases[0] != (baseImage{ref: "alpine:3.21", line: 4}) {
		t.Errorf("bases %+v", facts.bases)
	}
	if len(facts.stages) != 4 || facts.stages[0].name != "build" || facts.stages[2].name != "" {
		t.Errorf("stages %+v", facts.stages)
	}
	if len(facts.all) != 9 {
		t.Errorf("%d instructions, want 9", len(facts.all))
	}
}

func TestLineOfStep(t *testing.T) {
	multi := readDockerfile([]byte("ARG V=1\nFROM alpine:3.22 AS build\nRUN make\n\nRUN make install\nFROM alpine:3.22\nCOPY --from=build /out /out\n"), nil)
	single := readDockerfile([]byte("FROM alpine:3.22\n# comment\nRUN echo hi\nRUN false\n"), nil)
	for _, tc := range []struct {
		facts dockerfileFacts
		step  string
		want  int
	}{
		{single, "[3/3] RUN false", 4},
		{single, "[1/3] FROM docker.io/library/alpine:3.22", 1},
		{single, "Step 3/5 : RUN false", 4},
		{single, "Step 5/5 : LABEL org.dockertutor.tool=dockertutor", 0}, // the label step the builder appends
		{single, "[3/4] RUN false", 0},                                   // another Dockerfile than this one
		{multi, "[build 3/3] RUN make install", 5},
		{multi, "[stage-1 2/2] COPY --from=build /out /out", 7},
		{multi, "[stage-0 2/3] RUN make", 3},
		{multi, "[2/3] RUN make", 0}, // unnamed in a multi-stage file: ambiguous
		{multi, "Step 1/7 : ARG V=1", 1},
		{multi, "Step 6/7 : COPY --from=build /out /out", 7},
		{multi, "[internal] load metadata for docker.io/library/alpine:3.22", 0},
		{multi, "", 0},
	} {
		if got := tc.facts.lineOfStep(tc.step); got != tc.want {
			t.Errorf("lineOfStep(%q) = %d, want %d", tc.step, got, tc.want)
		}
	}
}

func TestLineInMessage(t *testing.T) {
	for msg, want := range map[string]int{
		"failed to create LLB definition: dockerfile parse error line 2: unknown instruction: RUNN": 2,
		"dockerfile parse error on line 12: unknown instruction: RUNN":                              12,
		"Dockerfile:7\n--------------------\n   5 | ...":                                            7,
		"The command '/bin/sh -c false' returned a non-zero code: 1":                                0,
		"process exited; lines 3 and more":                                                          0,
	} {
		if got := lineInMessage(msg); got != want {
			t.Errorf("lineInMessage(%q) = %d, want %d", msg, got, want)
		}
	}
}

func TestMentions(t *testing.T) {
	for _, tc := range []struct {
		text, ref string
		want      bool
	}{
		{"[internal] load metadata for docker.io/library/nosuch:1", "nosuch:1", true},
		{"Step 1/2 : FROM nosuch:1", "nosuch:1", true},
		{"pull access denied for nosuch, repository does not exist", "nosuch", true},
		{"[internal] load metadata for docker.io/library/alpine:3.22", "nosuch:1", false},
		{"anything", "Not A Ref", false},
	} {
		if got := mentions(tc.text, tc.ref); got != tc.want {
			t.Errorf("mentions(%q, %q) = %v", tc.text, tc.ref, got)
		}
	}
}
