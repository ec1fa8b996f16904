package lessons

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

const releasesYAML = `releases:
  as-of: 2026-12-01
  images:
    - repository: node
      lines:
        - {version: "18", codename: hydrogen, status: ended, end-of-life: 2025-04-30, last: 18.20.8}
        - {version: "22", codename: jod, status: maintenance-lts, end-of-life: 2027-04-30}
        - {version: "26", codename: lithium, status: active-lts, end-of-life: "2029-04-30"}
      digests:
        - {digest: "sha256:d32cdf619f63fe0471182d08996dd516c6275bb5fd31ae06e55a570bd9e1ad43", tag: 24-alpine, seen: 2026-12-02}
lessons:
`

func packWithReleases(table string) fstest.MapFS {
	p := validPack()
	replace(p, "course.yaml", "lessons:\n", table)
	return p
}

func TestReleasesLoad(t *testing.T) {
	c, ps := Load(packWithReleases(releasesYAML))
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	r := c.Releases
	if r == nil || r.AsOf.String() != "2026-12-01" {
		t.Fatalf("releases %+v", r)
	}
	node, ok := r.Image("docker.io/library/node")
	if !ok || len(node.Lines) != 3 || len(node.Digests) != 1 {
		t.Fatalf("node: %v %+v", ok, node)
	}
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if l, ok := node.Codename("JOD"); !ok || l.Version != "22" || l.Ended(day) {
		t.Errorf("jod: %v %+v", ok, l)
	}
	if l, ok := node.LineOf([]int{18, 20, 4}); !ok || !l.Ended(day) || l.Describe(day) != "18 (Hydrogen, ended 2025-04-30)" {
		t.Errorf("18.20.4: %v %+v", ok, l)
	}
	if got := node.Supported(day); len(got) != 2 || got[0].Version != "22" || got[1].Version != "26" {
		t.Errorf("supported: %+v", got)
	}
	// A line whose end of life has passed since the table was written has ended.
	if l, _ := node.LineOf([]int{22}); !l.Ended(time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("22 after 2027-04-30 has not ended")
	}
	if node.Newest().Version != "26" || node.Oldest().Version != "18" {
		t.Errorf("newest %s oldest %s", node.Newest().Version, node.Oldest().Version)
	}
}

func TestBrokenReleases(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown field", "      lines:", "      linez: []\n      lines:", `course.yaml:10: unknown field "linez" (did you mean "lines"?)`},
		{"bad date", "end-of-life: 2027-04-30", "end-of-life: April 2027", `course.yaml:12: "April 2027" is not a date`},
		{"no as-of", "  as-of: 2026-12-01\n", "", "course.yaml:7: releases: as-of is required"},
		{"bad status", "status: active-lts", "status: lts", `course.yaml:13: releases: status "lts": use one of current, active-lts, maintenance-lts, ended`},
		{"ended after as-of", "status: maintenance-lts", "status: ended", "course.yaml:12: releases: line 22 is ended, but its end-of-life 2027-04-30 is after as-of 2026-12-01"},
		{"not ended before as-of", "status: ended, end-of-life: 2025-04-30, last: 18.20.8", "status: maintenance-lts, end-of-life: 2025-04-30", "course.yaml:11: releases: line 18 ended on 2025-04-30, before as-of 2026-12-01: its status is ended"},
		{"bad version", `version: "22"`, `version: "v22"`, `course.yaml:12: releases: version "v22"`},
		{"last of another line", "last: 18.20.8", "last: 20.1.0", `course.yaml:11: releases: last "20.1.0" must be a full version of line 18`},
		{"bad digest", "sha256:d32cdf619f63fe0471182d08996dd516c6275bb5fd31ae06e55a570bd9e1ad43", "sha256:d32c", `course.yaml:15: releases: digest "sha256:d32c"`},
		{"digest without tag", "tag: 24-alpine, ", "", "course.yaml:15: releases: digest sha256:d32cdf619f63… needs the tag"},
		{"no end of life", ", end-of-life: 2027-04-30", "", "course.yaml:12: releases: line 22 of node needs end-of-life"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := packWithReleases(releasesYAML)
			replace(p, "course.yaml", tc.old, tc.new)
			_, ps := Load(p)
			for _, pr := range ps {
				if strings.HasPrefix(pr.String(), tc.want) {
					return
				}
			}
			t.Fatalf("want a problem starting with\n  %s\ngot:\n%s", tc.want, ps.Error())
		})
	}
}

func TestReleasesGrowOld(t *testing.T) {
	c, ps := Load(packWithReleases(releasesYAML))
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	if w := c.Releases.Warnings(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)); len(w) != 0 {
		t.Errorf("two months old: %v", w)
	}
	w := c.Releases.Warnings(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))
	if len(w) != 1 || !strings.HasPrefix(w[0].String(), "course.yaml:6: releases: the table is as of 2026-12-01, 6 months ago: check each line's status and end-of-life") {
		t.Errorf("six months old: %v", w)
	}
	var none *Releases
	if none.Warnings(time.Now()) != nil {
		t.Error("a pack without a table has warnings")
	}
}

func TestImageIDTemplate(t *testing.T) {
	c, ps := Load(validPack())
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	st := c.Steps()[0]
	asked := ""
	v := c.Values(st, Learner{ImageIDs: func(ref string) (string, error) {
		asked = ref
		return "sha256:4d9c6f15aba6ec30df102df2dba04b0ca745413b39c3743802994efd9f7ed443", nil
	}})
	got, err := Expand(`FROM node@{{.ImageID "alpine:3.22"}}`, v)
	if err != nil || asked != "alpine:3.22" || got != "FROM node@sha256:4d9c6f15aba6ec30df102df2dba04b0ca745413b39c3743802994efd9f7ed443" {
		t.Errorf("%q %v (asked %q)", got, err, asked)
	}
	v = c.Values(st, Learner{ImageIDs: func(ref string) (string, error) { return "", errors.New("no such image") }})
	if _, err := Expand(`{{.ImageID "alpine:3.22"}}`, v); err == nil || !strings.Contains(err.Error(), "the ID of image alpine:3.22: no such image") {
		t.Errorf("a missing image: %v", err)
	}
	if got, err := Expand(`{{.ImageID "alpine:3.22"}}`, SampleValues()); err != nil || got != SampleImageID {
		t.Errorf("linting: %q %v", got, err)
	}
}
