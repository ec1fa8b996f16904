package dockerfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"FROM alpine:3.20\nRUN echo hi\n",
	"FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n",
	"ARG V=22\nARG BASE=node:${V}-alpine\nFROM ${BASE} AS app\nFROM app\nRUN true\n",
	"FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETOS TARGETARCH\nRUN env\nFROM --platform=linux/amd64 alpine\n",
	"# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM alpine\nRUN a `\n  b\n",
	"FROM alpine\nARG TOKEN\nRUN <<EOF\necho $TOKEN\nEOF\nCOPY <<EOF /x\nhi\nEOF\n",
	"FROM alpine\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc --mount=type=cache,target=/c npm ci\n",
	"FROM alpine\nRUN --mount=type=secret,id=api,env=API_TOKEN,required=true x\n",
	"FROM alpine AS a\nFROM a AS b\nCOPY --from=0 /x /y\nCOPY --from=nginx:1.27 /a /b\nCOPY --from=c /a /b\nFROM alpine AS c\n",
	"FROM node@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1\n",
	"FROM localhost:5000/x:1.27.3-alpine3.20\nENV A=1 B=$A\nARG DB_PASSWORD\n",
	"FROM alpine\nRNU echo\n",
	"FROM ${NOPE}\n",
	"FROM alpine AS a\nCOPY --from=a / /\n",
	"from alpine as build\nrun echo\nfrom build\n",
	"\xEF\xBB\xBF#!/bin/x\n# syntax=x\nFROM alpine\nMAINTAINER me\nCMD echo\n",
	"FROM alpine\nONBUILD RUN echo\nHEALTHCHECK CMD true\nSHELL [\"/bin/sh\", \"-c\"]\n",
	"ARG A=${B:-x}\nFROM alpine:${A}\nARG A\nRUN --mount=from=0,target=/x true\n",
}

// FuzzAnalyze feeds arbitrary files to Analyze. No input may panic or take
// long; a failure must be an *Error naming the file; a success must be
// self-consistent, serializable, deterministic, and agree with BuildKit's own
// conversion about what each RUN records in the image history.
func FuzzAnalyze(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "secr3t")
	}
	f.Fuzz(func(t *testing.T, src, buildArgValue string) {
		// A hang shows as a failure naming the input instead of a stuck
		// worker; each check reports with t.Errorf, which any goroutine
		// may call.
		done := make(chan struct{})
		go func() {
			defer close(done)
			fuzzOne(t, src, buildArgValue)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("analysis took longer than 10s on %q (build arg %q)", src, buildArgValue)
		}
	})
}

func fuzzOne(t *testing.T, src, buildArgValue string) {
	opts := Options{BuildArgs: map[string]string{"TOKEN": buildArgValue, "V": buildArgValue}}
	a, err := Analyze([]byte(src), opts)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("error %T is not an *Error: %v", err, err)
		} else if e.Message == "" || e.Line < 0 || !strings.HasPrefix(e.Error(), "Dockerfile") {
			t.Errorf("bad error: %#v", e)
		}
		_, again := Analyze([]byte(src), opts)
		if again == nil || withoutFlagSuggestion(again.Error()) != withoutFlagSuggestion(err.Error()) {
			t.Errorf("errors differ between runs: %v, then %v", err, again)
		}
		return
	}
	if msg := inconsistency(a); msg != "" {
		t.Errorf("%s\ninput: %q", msg, src)
		return
	}

	first, err := json.Marshal(a)
	if err != nil {
		t.Errorf("marshal: %v", err)
		return
	}
	var back Analysis
	if err := json.Unmarshal(first, &back); err != nil {
		t.Errorf("unmarshal: %v", err)
		return
	}
	// JSON replaces invalid UTF-8 with U+FFFD, so only valid text
	// round-trips byte for byte.
	if second, _ := json.Marshal(&back); utf8.ValidString(src) && utf8.ValidString(buildArgValue) && !bytes.Equal(first, second) {
		t.Errorf("JSON does not round-trip:\n%s\n%s", first, second)
	}
	again, err := Analyze([]byte(src), opts)
	if err != nil {
		t.Errorf("second analysis failed: %v", err)
		return
	}
	if third, _ := json.Marshal(again); !bytes.Equal(first, third) {
		t.Errorf("analysis is not deterministic:\n%s\n%s", first, third)
	}

	if a.BuildError == nil {
		// Compare on the text Analyze read (see sanitizeText).
		if err := compareWithBuildKit(sanitizeText([]byte(src)), opts, a); err != nil {
			t.Errorf("%v\ninput: %q", err, src)
		}
	}
}

// inconsistency describes what breaks the rules every successful analysis
// must follow ("" when none), and runs every query so none can panic.
func inconsistency(a *Analysis) string {
	if len(a.Stages) == 0 || a.Target < 0 || a.Target >= len(a.Stages) {
		return fmt.Sprintf("%d stages, target %d", len(a.Stages), a.Target)
	}
	if !a.Stages[a.Target].Used {
		return "the target stage is not used"
	}
	for i, s := range a.Stages {
		if s.Index != i || s.Line <= 0 {
			return fmt.Sprintf("stage %d: index %d, line %d", i, s.Index, s.Line)
		}
		b := s.Base
		var ok bool
		switch b.Kind {
		case BaseStage:
			ok = b.Stage != nil && b.Stage.Index < i && b.Image == nil
		case BaseImage:
			ok = b.Image != nil && b.Stage == nil && b.Image.Tag.Kind != ""
		case BaseScratch:
			ok = b.Expanded == "scratch" && b.Image == nil && b.Stage == nil
		case BaseInvalid:
			ok = b.Problem != "" && b.Image == nil && b.Stage == nil
		}
		if !ok {
			return fmt.Sprintf("stage %d: base %+v", i, b)
		}
		for _, c := range s.Copies {
			ok := (c.Kind == SourceStage && c.Stage != nil && c.Stage.Index >= 0 && c.Stage.Index < len(a.Stages)) ||
				(c.Kind == SourceImage && c.Image != nil) ||
				(c.Kind == SourceInvalid && c.Problem != "")
			if !ok {
				return fmt.Sprintf("stage %d: copy %+v", i, c)
			}
		}
		for _, v := range append(append([]Variable(nil), s.Args...), s.Env...) {
			if v.LooksSecret != LooksSecret(v.Name) || v.Stage != i {
				return fmt.Sprintf("stage %d: variable %+v", i, v)
			}
		}
		_ = a.RootBase(i)
		_ = a.CopiesFromEarlierStage(i)
		_ = a.SecretLookingVariables(i)
		_ = a.ArgsInRuns(i)
	}
	_ = a.FinalStage()
	_ = a.BaseImages()
	for _, m := range a.SecretMounts() {
		if m.ID == "" {
			return fmt.Sprintf("secret mount without id: %+v", m)
		}
		_ = a.UsesSecretMount(m.ID)
	}
	for _, w := range a.Warnings {
		if w.Rule == "" || w.Line < 0 {
			return fmt.Sprintf("warning %+v", w)
		}
	}
	return ""
}

// withoutFlagSuggestion drops the "did you mean" of an unknown-flag error:
// BuildKit picks it while ranging over a map of the instruction's flags,
// which it does not export, so a typo equally close to two flags
// (--chmn: chmod or chown) can get either. Other suggestions are stable.
func withoutFlagSuggestion(msg string) string {
	if i := strings.Index(msg, "unknown flag: "); i >= 0 {
		if j := strings.Index(msg[i:], " (did you mean "); j >= 0 {
			return msg[:i+j]
		}
	}
	return msg
}
