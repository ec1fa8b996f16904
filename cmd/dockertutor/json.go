package main

import (
	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/exercises/proof"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/report"
)

// The --json documents are report's types, filled here from the tutor's
// own. The copy is deliberate: a field renamed inside the tutor changes
// no document, and a document changes only where this file (and
// FORMATS.md, and the golden files of json_test.go) say so. Lists are
// never null, so that a reader can range over them without a check.

func checkDocument(vs []check.Verdict) *report.Check {
	doc := &report.Check{Steps: []report.Verdict{}}
	for _, v := range vs {
		doc.Steps = append(doc.Steps, verdictDocument(v))
	}
	return doc
}

func verdictDocument(v check.Verdict) report.Verdict {
	out := report.Verdict{Step: v.Step, Passed: v.Passed, Unreachable: v.Unreachable(), Checks: []report.Result{}, DurationNS: v.Duration.Nanoseconds()}
	for _, r := range v.Results {
		res := report.Result{ID: r.ID, Type: r.Type, Outcome: string(r.Outcome), Message: r.Message}
		for _, e := range r.Evidence {
			res.Evidence = append(res.Evidence, report.Evidence{Where: e.Where, Detail: e.Detail})
		}
		out.Checks = append(out.Checks, res)
	}
	return out
}

func doctorDocument(r engine.Report) *report.Doctor {
	ep := r.Endpoint
	doc := &report.Doctor{
		Endpoint: report.Endpoint{Host: ep.Host, Source: ep.Source, Origin: string(ep.Origin), Context: ep.Context,
			ConfigFile: ep.ConfigFile, MetaFile: ep.MetaFile, Warnings: ep.Warnings},
		Reachable: r.Reachable,
		Problems:  []report.Problem{},
		DockerBuild: report.DockerBuild{Builder: string(r.DockerBuild.Builder), CLI: r.DockerBuild.CLI,
			Plugin: r.DockerBuild.Plugin, PluginVersion: r.DockerBuild.PluginVersion, Basis: r.DockerBuild.Basis},
		ClientOS: r.ClientOS,
	}
	if t := ep.TLS; t != nil {
		doc.Endpoint.TLS = &report.TLS{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, SkipVerify: t.SkipVerify}
	}
	for _, p := range r.Problems {
		rp := report.Problem{Class: string(p.Class), Severity: string(p.Severity), Message: p.Message, Detail: p.Detail}
		if len(p.Fixes) > 0 {
			rp.Fixes = map[string][]report.Fix{}
			for platform, fixes := range p.Fixes {
				for _, f := range fixes {
					rp.Fixes[platform] = append(rp.Fixes[platform], report.Fix{Text: f.Text, Command: f.Command})
				}
			}
		}
		doc.Problems = append(doc.Problems, rp)
	}
	for _, c := range r.Candidates {
		doc.Candidates = append(doc.Candidates, report.Candidate{Host: c.Host, What: c.What, Answers: c.Answers, Use: c.Use})
	}
	if s := r.Server; s != nil {
		doc.Server = &report.Server{
			Product: s.Product, Version: s.Version, OS: s.OS, Arch: s.Arch, OperatingSystem: s.OperatingSystem,
			API:           report.API{Negotiated: s.API.Negotiated, ServerMin: s.API.ServerMin, ServerMax: s.API.ServerMax},
			Builders:      report.Builders{BuildKit: s.Builders.BuildKit, Classic: s.Builders.Classic, Default: s.Builders.Default, Basis: s.Builders.Basis},
			StorageDriver: s.StorageDriver, ImageStore: s.ImageStore, Rootless: s.Rootless,
		}
	}
	for _, img := range r.Images {
		doc.Images = append(doc.Images, report.Image{Ref: img.Ref, Digest: img.Digest, State: string(img.State), Present: img.State.Tagged(),
			ID: img.ID, RepoDigests: img.RepoDigests, Error: img.Error})
	}
	return doc
}

func scanDocument(r *leak.Report) *report.Scan {
	doc := &report.Scan{
		Image: r.Image, ImageID: r.ImageID, Found: r.Found(), Complete: r.Complete(),
		Encodings: []string{}, Layers: r.Layers, Findings: []report.Finding{},
		Omitted: r.Omitted, RepeatedInMetadata: r.RepeatedInMetadata, Problems: r.Problems,
	}
	for _, e := range r.Encodings {
		doc.Encodings = append(doc.Encodings, string(e))
	}
	for _, f := range r.Findings {
		rf := report.Finding{Source: string(f.Source), Encoding: string(f.Encoding), Count: f.Count, Excerpt: f.Excerpt, Field: f.Field, File: f.File}
		if h := f.History; h != nil {
			rf.History = &report.HistoryEntry{Index: h.Index, Row: h.Row, CreatedBy: h.CreatedBy, InComment: h.InComment}
		}
		if l := f.Layer; l != nil {
			rf.Layer = &report.LayerFile{Index: l.Index, Path: l.Path, InName: l.InName, State: string(l.State), By: l.By}
		}
		doc.Findings = append(doc.Findings, rf)
	}
	return doc
}

func lintDocument(dir string, c *lessons.Course, ps lessons.Problems) *report.Lint {
	doc := &report.Lint{Pack: dir, Problems: []report.PackProblem{}}
	if c != nil {
		doc.Course = c.ID
	}
	for _, p := range ps {
		doc.Problems = append(doc.Problems, report.PackProblem{File: p.File, Line: p.Line, Message: p.Message})
	}
	for _, p := range packWarnings(c) {
		doc.Warnings = append(doc.Warnings, report.PackProblem{File: p.File, Line: p.Line, Message: p.Message})
	}
	return doc
}

func proveDocument(dir string, cases []proof.Case) *report.Prove {
	doc := &report.Prove{Pack: dir, Cases: []report.Case{}}
	for _, c := range cases {
		doc.Cases = append(doc.Cases, report.Case{Step: c.Step, Name: c.Name, Want: c.Want, OK: c.OK, Problem: c.Problem,
			Verdict: verdictDocument(c.Verdict), ActionError: c.ActionErr})
	}
	return doc
}
