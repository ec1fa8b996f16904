package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/classroom/outbox"
	"github.com/dockertutor/dockertutor/classroom/room"
	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/internal/browsertest"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/report"
)

// Bounds on what must happen; generous for a loaded two-core machine,
// and every wait ends as soon as it happened.
const (
	e2eLive    = 10 * time.Second // a learner's command shows on the open page, or in the room
	e2eCommand = 60 * time.Second // one command of the real binary
)

// hostileName is a display name that is a spreadsheet formula and would
// run script if a page put it into the document as markup; it fits the
// 40 runes a name keeps, so the page must show it whole.
const hostileName = `=cmd|' /C calc'!A0<svg onload=alert(1)>`

// TestClassEndToEnd runs a class with nothing faked: the real binary
// serves it on loopback, three learners are the real binary too, each
// with its own home, state, workspace and namespace on one daemon, and
// the instructor's dashboard is open in headless Chromium. The learners
// join and work; the page follows without a reload; the server is killed
// mid-class (kill -9, while a learner's commands deliver) and later
// stopped (SIGTERM, while a learner works in her open tutor), restarted
// each time on the same database and address, and every event arrives
// once and in order; the class's grades agree with each learner's own
// report; the exports, the reports, the database and the learners' class
// folders hold no canary, no typed answer and no workspace path; a
// learner leaves, and her tutor reports no more.
func TestClassEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("dockertutor"); err != nil {
		t.Skip("the dockertutor command is not on PATH (run through go test)")
	}
	began := time.Now()
	course, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	daemon := e2eDaemon(t)
	root := t.TempDir()

	// The instructor's machine: its own state and data folders, so the
	// instructor file and database of a real class are never touched.
	srvDir := filepath.Join(root, "instructor")
	srvEnv := isolatedEnv(srvDir)
	db := filepath.Join(srvDir, "class.db")
	srv := startClassServe(t, srvEnv, db)
	addr := strings.TrimPrefix(srv.base(), "http://")
	if srv.dashboard == "" {
		t.Fatalf("class serve printed no dashboard link:\n%s", srv.out)
	}
	instructor := &e2eInstructor{t: t, env: srvEnv}

	var b *dashBrowser
	if chromium := browsertest.ChromiumPath(t); chromium != "" {
		b = openDashboard(t, chromium, srv.dashboard, srv.base())
	} else {
		t.Log("no chromium in PATH: the class runs without the dashboard's part (apt-get install chromium)")
	}

	ada := newE2ELearner(t, root, "ada", "Ada Lovelace")
	mal := newE2ELearner(t, root, "mal", hostileName)
	grace := newE2ELearner(t, root, "grace", "Grace Hopper")
	learners := []*e2eLearner{ada, mal, grace}
	if daemon != nil {
		for _, l := range learners {
			t.Cleanup(func() { removeOwnObjects(daemon, l.ns) })
		}
	}

	// Join, and open a first step each.
	for _, l := range learners {
		out := l.ok("class", "join", srv.joinURL, "--name", l.name)
		if !strings.Contains(out, "You joined the class") {
			t.Fatalf("%s's join says:\n%s", l.slug, out)
		}
		l.loadProgress()
	}
	ada.ok("show", "you-own-the-os")
	mal.ok("show", "follow-newest")
	grace.ok("show", "floating-tradeoffs")

	want := func(stepID string) string {
		st, _ := course.Step(stepID)
		return st.Number + " " + st.Title
	}
	r := instructor.waitRoom("every learner on the step they opened", func(r room.Room) bool {
		return e2eView(r, ada.id).Step == "you-own-the-os" && e2eView(r, mal.id).Step == "follow-newest" && e2eView(r, grace.id).Step == "floating-tradeoffs"
	})
	if got := e2eView(r, mal.id).Name; got != hostileName {
		t.Errorf("the room holds the name %q, want %q", got, hostileName)
	}
	if b != nil {
		for _, l := range learners {
			b.waitFor(l.slug+"'s row on their first step", b.cell(l.id, "step")+`.includes(`+browsertest.JSString(want(l.lastShown))+`)`)
		}
		if got := b.eval(b.row(mal.id) + `.querySelector('td.name').textContent`); got != hostileName {
			t.Errorf("the page shows the name %q, want the text %q", got, hostileName)
		}
		b.noMarkup()
		// The readiness view has each machine, as the join reported it.
		b.readinessShows(learners)
		b.eval(`window.dashboardMarker = 'kept', ''`)
	}

	// A failing step, checked: the row names the failing check.
	grace.ok("show", "teammate-image")
	grace.fails("answer", "teammate-image", grace.typed("npm_not-the-token-"))
	grace.fails("check", "teammate-image")
	failing := e2eCheckName(t, course, "teammate-image", "build-arg-token")
	instructor.waitRoom("Grace's failing check", func(r room.Room) bool {
		v := e2eView(r, grace.id)
		return v.Step == "teammate-image" && v.Verdict == "failed" && slices.Contains(v.Failing, failing)
	})
	if b != nil {
		b.waitFor("Grace's failing check on the page", b.cell(grace.id, "verdict")+`.includes(`+browsertest.JSString(failing)+`)`)
	}

	// The hostile learner types their own canary as an answer: it is
	// wrong (the teammate's secrets are other values), and it must never
	// leave their machine.
	mal.ok("show", "teammate-image")
	mal.answers = append(mal.answers, mal.canary)
	out := mal.fails("answer", "teammate-image", mal.canary)
	if !strings.Contains(out, "your own secret") {
		t.Errorf("the canary as an answer to 4.8 says:\n%s", out)
	}
	mal.ok("skip", "scan-an-image")

	// A pass raises passed-of-total.
	before := e2eView(instructor.room(), ada.id).Passed
	var passed string
	if daemon != nil {
		// The daemon step: the leaky build fails its checks until the
		// tutor builds it.
		ada.ok("show", "leak-build")
		ada.fails("check", "leak-build")
		built := e2eCheckName(t, course, "leak-build", "built")
		instructor.waitRoom("Ada's failing build", func(r room.Room) bool {
			return slices.Contains(e2eView(r, ada.id).Failing, built)
		})
		if b != nil {
			b.waitFor("Ada's failing check on the page", b.cell(ada.id, "verdict")+`.includes(`+browsertest.JSString(built)+`)`)
		}
		ada.ok("hint", "leak-build")
		ada.ok("solve", "leak-build")
		passed = "leak-build"
	} else {
		ada.ok("show", "floating-tradeoffs")
		ada.fails("answer", "floating-tradeoffs", "b")
		ada.ok("answer", "floating-tradeoffs", "a", "c", "e")
		passed = "floating-tradeoffs"
	}
	r = instructor.waitRoom("Ada's pass", func(r room.Room) bool {
		v := e2eView(r, ada.id)
		return v.Step == passed && v.Verdict == "passed" && v.Passed > before
	})
	if b != nil {
		progress := fmt.Sprintf("%d/%d", e2eView(r, ada.id).Passed, len(course.Steps()))
		b.waitFor("Ada's progress rising to "+progress, b.row(ada.id)+`?.dataset.verdict === 'passed' && `+b.cell(ada.id, "progress")+`.includes(`+browsertest.JSString(progress)+`)`)
		if m := b.eval(`String(window.dashboardMarker)`); m != "kept" {
			t.Errorf("the page reloaded to follow the learners (marker %q)", m)
		}
	}

	// kill -9 of the server mid-class: while the hostile learner is in
	// the middle of a run of commands, each of which delivers before it
	// exits.
	burst := [][]string{
		{"show", "multi-stage-fix"}, {"hint", "multi-stage-fix"}, {"hint", "multi-stage-fix"},
		{"show", "secret-mount"}, {"hint", "secret-mount"}, {"hint", "secret-mount"},
	}
	burstDone := make(chan []string, 1)
	burstBegun := make(chan struct{})
	go func() {
		var problems []string
		for i, args := range burst {
			out, errs, code, err := execBinary(t.Context(), mal.env, append([]string{"--workspace", mal.ws}, args...)...)
			if err != nil || code != 0 || errs != "" {
				problems = append(problems, fmt.Sprintf("dockertutor %s: exit %d, %v\n%s\nstderr: %s", strings.Join(args, " "), code, err, out, errs))
			}
			if i == 1 {
				close(burstBegun)
			}
		}
		burstDone <- problems
	}()
	<-burstBegun
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	if b != nil {
		// The instructor sees that the page lost the server.
		b.waitFor("the page saying it lost the server", `document.body.classList.contains('disconnected') && document.getElementById('connection').textContent !== 'live'`)
	}

	// Ada works on with the server away: every command works and says
	// nothing of the class; the outbox keeps what she did.
	var away []string
	away = append(away, ada.ok("show", "follow-newest"))
	away = append(away, ada.ok("hint", "follow-newest"))
	away = append(away, ada.ok("hint", "follow-newest"))
	away = append(away, ada.fails("answer", "teammate-image", ada.typed("wrong-answer-")))
	away = append(away, ada.ok("skip", "scan-an-image"))
	away = append(away, ada.ok("show", "pin-exact"))
	away = append(away, grace.ok("hint", "teammate-image"))
	for _, out := range away {
		for _, alarm := range []string{"class server", "deliver", "127.0.0.1", "connection refused", "error"} {
			if strings.Contains(strings.ToLower(out), alarm) {
				t.Errorf("a command with the server away says %q:\n%s", alarm, out)
			}
		}
	}
	for _, p := range <-burstDone {
		t.Errorf("mal, while the server was killed: %s", p)
	}
	for _, l := range []*e2eLearner{ada, grace} {
		st := l.status()
		if st.Waiting == 0 || st.Delivery.Trouble != outbox.NoAnswer {
			t.Errorf("%s with the server away: %d waiting, trouble %q; want events kept and no-answer", l.slug, st.Waiting, st.Delivery.Trouble)
		}
	}

	// The server back on the same database and address: the learners'
	// next commands deliver what waited, once and in order.
	killed := srv
	srv = startClassServeAt(t, srvEnv, db, addr)
	ada.ok("hint", "pin-exact")
	grace.ok("show", "teammate-image")
	mal.ok("show", "secret-mount")
	r = instructor.waitRoom("what the learners did while the server was away", func(r room.Room) bool {
		v := e2eView(r, ada.id)
		return v.Step == "pin-exact" && v.HintsUsed == ada.hintsUsed() && e2eView(r, grace.id).HintsUsed == grace.hintsUsed() &&
			e2eView(r, mal.id).HintsUsed == mal.hintsUsed()
	})
	for _, l := range learners {
		v := e2eView(r, l.id)
		if v.Passed != l.passed() || v.HintsUsed != l.hintsUsed() {
			t.Errorf("%s in the room: passed %d, hints %d; their progress file says %d and %d", l.slug, v.Passed, v.HintsUsed, l.passed(), l.hintsUsed())
		}
	}
	for _, l := range learners {
		if st := l.status(); st.Waiting != 0 || st.Delivery.Trouble != "" {
			t.Errorf("%s after the server came back: %d waiting, trouble %q", l.slug, st.Waiting, st.Delivery.Trouble)
		}
	}
	if b != nil {
		// The open page picks the restarted server's stream up by itself.
		b.waitFor("the page live again", `!document.body.classList.contains('disconnected') && document.getElementById('connection').textContent === 'live'`)
		b.waitFor("Ada's row after the restart", b.cell(ada.id, "step")+`.includes(`+browsertest.JSString(want("pin-exact"))+`) && `+
			b.cell(ada.id, "hints")+`.trim().split(' ')[0] === `+browsertest.JSString(fmt.Sprint(ada.hintsUsed())))
		if m := b.eval(`String(window.dashboardMarker)`); m != "kept" {
			t.Errorf("the page reloaded across the restart (marker %q)", m)
		}
		b.readinessShows(learners) // what the machines reported survived the kill
		b.noMarkup()
		// The console is left out: the page logs the server it lost on
		// purpose, while it was killed.
		browsertest.PageHealth(t, srv.base(), nil, b.Requests(), b.Dialogs())
	}

	// Grace's tutor open (plain mode: its output is not a terminal): its
	// sender delivers in the background. The server stopped cleanly
	// (SIGTERM, as a service manager stops it) while she works on in the
	// tutor; back, it gets her hint with no command of hers to carry it.
	tutor := grace.startTutor()
	tutor.say("g find-the-leak")
	instructor.waitRoom("Grace's step from her open tutor", func(r room.Room) bool {
		return e2eView(r, grace.id).Step == "find-the-leak"
	})
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Wait(); err != nil {
		t.Errorf("class serve after SIGTERM: %v, want a clean exit", err)
	}
	stopped := srv
	tutor.say("h")
	waitUntil(t, "Grace's hint kept in her outbox", func() bool {
		st := grace.status()
		return st.Waiting >= 1 && st.Delivery.Trouble == outbox.NoAnswer
	})
	srv = startClassServeAt(t, srvEnv, db, addr)
	instructor.waitRoom("Grace's hint, delivered by her open tutor", func(r room.Room) bool {
		v := e2eView(r, grace.id)
		return v.Step == "find-the-leak" && v.HintsUsed == grace.hintsUsed()
	})
	if b != nil {
		b.waitFor("Grace's row after the second restart", b.cell(grace.id, "step")+`.includes(`+browsertest.JSString(want("find-the-leak"))+`)`)
	}
	tutor.quit()
	if st := grace.status(); st.Waiting != 0 {
		t.Errorf("Grace's tutor quit with %d events waiting", st.Waiting)
	}

	// What leaves the machines: the exports and the learners' reports.
	var leaving [][2]string // name, content
	for _, f := range []string{"csv", "json", "junit"} {
		leaving = append(leaving, [2]string{"export --format " + f, instructor.ok("class", "export", "--format", f)})
	}
	sheetCSV := leaving[0][1]
	if strings.Contains(sheetCSV, ","+hostileName) || strings.Contains(sheetCSV, `,"`+hostileName) || !strings.Contains(sheetCSV, ",'"+hostileName) {
		t.Errorf("the CSV export does not keep the name a spreadsheet formula would be as text:\n%s", sheetCSV)
	}
	for _, l := range learners {
		for _, f := range []string{"json", "junit", "github-classroom"} {
			leaving = append(leaving, [2]string{l.slug + "'s report --format " + f, l.ok("report", "--format", f)})
		}
	}
	// Each document is what its format's readers take.
	for _, doc := range leaving {
		var err error
		switch {
		case strings.HasSuffix(doc[0], "csv"):
			var records [][]string
			records, err = csv.NewReader(strings.NewReader(doc[1])).ReadAll()
			if err == nil && len(records) != 1+len(learners)*len(course.Steps()) {
				err = fmt.Errorf("%d records, want a header and a row per learner and step", len(records))
			}
		case strings.HasSuffix(doc[0], "junit"):
			d := xml.NewDecoder(strings.NewReader(doc[1]))
			for err == nil {
				_, err = d.Token()
			}
			if err == io.EOF {
				err = nil
			}
		case strings.HasSuffix(doc[0], "github-classroom"):
			var res struct {
				Status   string
				MaxScore int `json:"max_score"`
				Tests    []struct{ Name, Status string }
			}
			err = json.Unmarshal([]byte(doc[1]), &res)
			if err == nil && (res.Status != "fail" || res.MaxScore == 0 || len(res.Tests) != res.MaxScore) {
				err = fmt.Errorf("status %q, %d points in %d tests: want a failing result of a course half done", res.Status, res.MaxScore, len(res.Tests))
			}
		default:
			err = json.Unmarshal([]byte(doc[1]), new(report.Grades))
		}
		if err != nil {
			t.Errorf("%s: %v\n%s", doc[0], err, doc[1])
		}
	}
	// The server's grades, derived from the events, are the learners'
	// own, derived from their progress files: nothing was lost or
	// counted twice on the way.
	var sheet report.Grades
	if err := json.Unmarshal([]byte(leaving[1][1]), &sheet); err != nil {
		t.Fatalf("the JSON export: %v", err)
	}
	for i, l := range learners {
		var own report.Grades
		if err := json.Unmarshal([]byte(leaving[3+3*i][1]), &own); err != nil {
			t.Fatalf("%s's JSON report: %v", l.slug, err)
		}
		class := map[string]report.Grade{}
		for _, g := range sheet.Rows {
			if g.Learner == l.id {
				class[g.Step] = g
			}
		}
		if len(class) != len(course.Steps()) || len(own.Rows) != len(course.Steps()) {
			t.Errorf("%s: %d rows in the export, %d in their report; want %d", l.slug, len(class), len(own.Rows), len(course.Steps()))
		}
		for _, g := range own.Rows {
			c := class[g.Step]
			if c.Status != g.Status || c.Passed != g.Passed || c.Attempts != g.Attempts || c.HintsUsed != g.HintsUsed ||
				c.SolutionShown != g.SolutionShown || c.PassedAt.IsZero() != g.PassedAt.IsZero() {
				t.Errorf("%s, step %s: the class export says %s passed=%v attempts %d hints %d solution %v passed at %v; their own report %s passed=%v attempts %d hints %d solution %v passed at %v",
					l.slug, g.Step, c.Status, c.Passed, c.Attempts, c.HintsUsed, c.SolutionShown, c.PassedAt, g.Status, g.Passed, g.Attempts, g.HintsUsed, g.SolutionShown, g.PassedAt)
			}
		}
	}

	// What the learners' tutors wrote, kept before Ada's leave removes
	// her class folder.
	sent := map[string][]wire.Event{}
	for _, l := range learners {
		sent[l.id] = l.outboxEvents()
		files, _ := os.ReadDir(l.classDir())
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(l.classDir(), f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			leaving = append(leaving, [2]string{l.slug + "'s " + f.Name(), string(data)})
		}
	}

	// Ada leaves: everything was delivered, and her tutor reports no more.
	out = ada.ok("class", "leave")
	if !strings.Contains(out, "everything your tutor reported was delivered") {
		t.Errorf("class leave says:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(ada.classDir(), "membership.json")); !os.IsNotExist(err) {
		t.Errorf("the membership is still there after class leave (%v)", err)
	}
	adaEvents := len(e2eEvents(t, db, ada.id, true))
	if out := ada.ok("hint", "pin-exact"); strings.Contains(strings.ToLower(out), "class") {
		t.Errorf("a command after class leave speaks of the class:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(ada.classDir(), "outbox.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a command after class leave wrote an outbox (%v)", err)
	}
	if n := len(e2eEvents(t, db, ada.id, true)); n != adaEvents {
		t.Errorf("the server holds %d of Ada's events after she left, %d before", n, adaEvents)
	}

	// Ctrl+C; then every learner's events are in the database once, in
	// order, exactly as their outbox wrote them.
	if err := srv.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	for _, l := range learners {
		held := e2eEvents(t, db, l.id, false)
		sent := sent[l.id]
		if len(held) == 0 || len(held) != len(sent) {
			t.Errorf("%s: the server holds %d events, the outbox wrote %d", l.slug, len(held), len(sent))
		}
		for i, e := range held {
			if e.Seq != int64(i+1) {
				t.Errorf("%s: event %d has seq %d: one is missing or twice", l.slug, i+1, e.Seq)
				break
			}
			if i < len(sent) && (e.Kind != sent[i].Kind || e.Step != sent[i].Step || !e.At.Equal(sent[i].At)) {
				t.Errorf("%s: seq %d is %s %s at the server, %s %s in the outbox", l.slug, e.Seq, e.Kind, e.Step, sent[i].Kind, sent[i].Step)
			}
		}
	}
	if kinds := e2eKinds(e2eEvents(t, db, ada.id, false)); !strings.Contains(kinds, "step-opened:follow-newest hint:follow-newest hint:follow-newest answer:teammate-image verdict:teammate-image skip:scan-an-image step-opened:pin-exact hint:pin-exact") {
		t.Errorf("Ada's events at the server, around the outage: %s", kinds)
	}

	// Nothing any learner must keep to themselves is in what left their
	// machine or what the server keeps.
	for _, name := range []string{db, db + "-wal", db + "-shm"} {
		if data, err := os.ReadFile(name); err == nil {
			leaving = append(leaving, [2]string{name, string(data)})
		} else if name == db {
			t.Fatal(err)
		}
	}
	leaving = append(leaving, [2]string{"the killed server's output", killed.out.String()},
		[2]string{"the stopped server's output", stopped.out.String()},
		[2]string{"the restarted server's output", srv.out.String()})
	for _, l := range learners {
		// The values looked for are the ones the learner's machine keeps:
		// a search for something never written would find nothing too.
		kept, err := os.ReadFile(filepath.Join(l.stateDir(), "progress-image-security.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range append([]string{l.canary}, l.answers...) {
			if !bytes.Contains(kept, []byte(a)) {
				t.Errorf("%s's progress file does not hold %q", l.slug, a)
			}
		}
		private := append([]string{l.canary, l.ws, l.dir}, l.answers...)
		for _, p := range private {
			for _, doc := range leaving {
				if strings.Contains(doc[1], p) {
					t.Errorf("%s holds %s's %q", doc[0], l.slug, p)
				}
			}
		}
	}
	t.Logf("the class ran end to end in %v", time.Since(began).Round(time.Millisecond))
}

// e2eDaemon is the shared daemon with the course's base image, or nil
// without one (a failure under DOCKERTUTOR_REQUIRE_DOCKER=1): the rest of
// the class runs without the step that builds.
func e2eDaemon(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	if err == nil {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		_, err = cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
	}
	if err != nil {
		if os.Getenv(dockertest.RequireEnv) == "1" {
			t.Fatalf("Docker daemon required (%s=1) but not reachable: %v", dockertest.RequireEnv, err)
		}
		t.Logf("no Docker daemon reachable (%v): the class runs without the step that builds", err)
		return nil
	}
	t.Cleanup(func() { cli.Close() })
	c, _ := lessons.Builtin()
	for _, im := range c.Images {
		dockertest.StandIn(t, cli, im.Ref)
	}
	return cli
}

// removeOwnObjects removes what a learner's namespace left on the daemon:
// its containers (by the namespace label) and its images (by name). No
// other object carries either.
func removeOwnObjects(cli *client.Client, ns lessons.Namespace) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", labels.Namespace+"="+ns.String())})
	if err == nil {
		for _, c := range cs.Items {
			cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
		}
	}
	for _, pattern := range []string{ns.String() + "/*", ns.String() + "/*/*"} {
		imgs, err := cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", pattern)})
		if err != nil {
			continue
		}
		for _, im := range imgs.Items {
			for _, tag := range im.RepoTags {
				if ns.OwnsImage(tag) {
					cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true})
				}
			}
		}
	}
}

// isolatedEnv is a machine of its own under dir: home, XDG folders and
// Docker's client configuration.
func isolatedEnv(dir string) []string {
	return []string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"DOCKER_CONFIG=" + filepath.Join(dir, "home", ".docker"),
		"DOCKERTUTOR_WORKSPACE=" + filepath.Join(dir, "workspace"),
		"DOCKERTUTOR_CLASS_TOKEN=",
		"NO_COLOR=1",
		"TERM=dumb",
		// Never ask Docker Hub about a tag or digest: nothing past loopback.
		"DOCKERTUTOR_OFFLINE_REGISTRIES=docker.io",
	}
}

// runBinary runs the real binary with env over this process's and
// returns what it printed and its exit code.
func runBinary(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	stdout, stderr, code, err := execBinary(t.Context(), env, args...)
	if err != nil {
		t.Fatalf("dockertutor %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout, stderr, code
}

// execBinary is runBinary for a goroutine of the test: err is a command
// that did not run or did not end within e2eCommand.
func execBinary(ctx context.Context, env []string, args ...string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(ctx, e2eCommand)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dockertutor", args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		return out.String(), errb.String(), -1, fmt.Errorf("not done within %v", e2eCommand)
	}
	code = cmd.ProcessState.ExitCode()
	if code >= 0 {
		err = nil
	}
	return out.String(), errb.String(), code, err
}

// e2eInstructor is the instructor's terminal on the server's machine.
type e2eInstructor struct {
	t   *testing.T
	env []string
}

func (i *e2eInstructor) ok(args ...string) string {
	i.t.Helper()
	out, errs, code := runBinary(i.t, i.env, args...)
	if code != 0 {
		i.t.Fatalf("dockertutor %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// room is `class status --json`.
func (i *e2eInstructor) room() room.Room {
	i.t.Helper()
	var r room.Room
	out := i.ok("class", "status", "--json")
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Format != room.Format {
		i.t.Fatalf("class status --json: %v\n%s", err, out)
	}
	return r
}

// waitRoom polls the room until cond holds, for at most e2eLive.
func (i *e2eInstructor) waitRoom(what string, cond func(room.Room) bool) room.Room {
	i.t.Helper()
	deadline := time.Now().Add(e2eLive)
	for {
		r := i.room()
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			data, _ := json.MarshalIndent(r.Learners, "", "  ")
			i.t.Fatalf("%s: not in the room within %v; its learners:\n%s", what, e2eLive, data)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func e2eView(r room.Room, id string) room.LearnerView {
	for _, l := range r.Learners {
		if l.ID == id {
			return l
		}
	}
	return room.LearnerView{}
}

func e2eCheckName(t *testing.T, c *lessons.Course, step, check string) string {
	t.Helper()
	st, ok := c.Step(step)
	if !ok {
		t.Fatalf("the built-in course has no step %s", step)
	}
	ch, ok := st.Check(check)
	if !ok {
		t.Fatalf("step %s has no check %s", step, check)
	}
	return ch.Name()
}

// e2eEvents reads a learner's events from the class database; live opens
// it beside the running server.
func e2eEvents(t *testing.T, db, learner string, live bool) []wire.Event {
	t.Helper()
	if live {
		db = copyLiveDatabase(t, db)
	}
	st, err := store.Open(db)
	if err != nil {
		t.Fatalf("opening %s (live %v): %v", db, live, err)
	}
	defer st.Close()
	var out []wire.Event
	err = st.Events(t.Context(), func(id string, e wire.Event) error {
		if id == learner {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// copyLiveDatabase copies the database of a running server, with its
// write-ahead log, to open the copy: the server holds the database's lock
// (one process at a time), and the learners' commands have all returned,
// so nothing is being written.
func copyLiveDatabase(t *testing.T, db string) string {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(db + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(db)+suffix), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, filepath.Base(db))
}

func e2eKinds(es []wire.Event) string {
	var s []string
	for _, e := range es {
		s = append(s, string(e.Kind)+":"+e.Step)
	}
	return strings.Join(s, " ")
}

// e2eLearner is one learner's machine: the real binary with its own home,
// state, workspace and namespace on the shared daemon.
type e2eLearner struct {
	t          *testing.T
	slug, name string
	dir, ws    string
	env        []string
	ns         lessons.Namespace
	// From the progress file after the join.
	id, canary string
	// answers are the values the learner typed, which stay on the machine.
	answers   []string
	lastShown string
}

func newE2ELearner(t *testing.T, root, slug, name string) *e2eLearner {
	dir := filepath.Join(root, slug)
	ns := dockertest.Namespace(t)
	env := append(isolatedEnv(dir), "DOCKERTUTOR_NAMESPACE="+ns.String(), outbox.HeartbeatEnv+"=200ms")
	return &e2eLearner{t: t, slug: slug, name: name, dir: dir, ws: filepath.Join(dir, "ws"), env: env, ns: ns}
}

func (l *e2eLearner) run(args ...string) (string, string, int) {
	l.t.Helper()
	if len(args) == 2 && args[0] == "show" {
		l.lastShown = args[1]
	}
	return runBinary(l.t, l.env, append([]string{"--workspace", l.ws}, args...)...)
}

// ok runs a command that must succeed and say nothing on its standard
// error, whether the class server answers or not.
func (l *e2eLearner) ok(args ...string) string {
	l.t.Helper()
	out, errs, code := l.run(args...)
	if code != 0 || errs != "" {
		l.t.Fatalf("%s: dockertutor %s: exit %d\n%s\nstderr: %s", l.slug, strings.Join(args, " "), code, out, errs)
	}
	return out
}

// fails runs a check or answer that must not pass (exit 1), quietly.
func (l *e2eLearner) fails(args ...string) string {
	l.t.Helper()
	out, errs, code := l.run(args...)
	if code != exitFail || errs != "" {
		l.t.Fatalf("%s: dockertutor %s: exit %d, want %d\n%s\nstderr: %s", l.slug, strings.Join(args, " "), code, exitFail, out, errs)
	}
	return out
}

// typed is an answer value of the learner's own, remembered to be looked
// for where it must not be.
func (l *e2eLearner) typed(prefix string) string {
	v := prefix + l.ns.String()
	l.answers = append(l.answers, v)
	return v
}

func (l *e2eLearner) stateDir() string { return filepath.Join(l.dir, "state", "dockertutor") }
func (l *e2eLearner) classDir() string { return filepath.Join(l.stateDir(), outbox.Folder) }

type e2eProgress struct {
	Secret  string
	Learner string
	Steps   map[string]struct {
		Status    string
		HintsUsed int `json:"hints_used"`
	}
}

func (l *e2eLearner) progress() e2eProgress {
	l.t.Helper()
	var p e2eProgress
	data, err := os.ReadFile(filepath.Join(l.stateDir(), "progress-image-security.json"))
	if err == nil {
		err = json.Unmarshal(data, &p)
	}
	if err != nil || p.Secret == "" || p.Learner == "" {
		l.t.Fatalf("%s's progress file: %v\n%s", l.slug, err, data)
	}
	return p
}

func (l *e2eLearner) loadProgress() {
	p := l.progress()
	l.id, l.canary = p.Learner, p.Secret
}

func (l *e2eLearner) passed() (n int) {
	for _, s := range l.progress().Steps {
		if s.Status == "passed" {
			n++
		}
	}
	return n
}

func (l *e2eLearner) hintsUsed() (n int) {
	for _, s := range l.progress().Steps {
		n += s.HintsUsed
	}
	return n
}

func (l *e2eLearner) status() outbox.Status {
	l.t.Helper()
	st, ok, err := outbox.Open(filepath.Dir(l.classDir())).Status()
	if err != nil || !ok {
		l.t.Fatalf("%s's class folder: %v (in a class: %v)", l.slug, err, ok)
	}
	return st
}

// outboxEvents is every event the learner's tutor wrote (the outbox keeps
// the delivered ones too, up to a few hundred).
func (l *e2eLearner) outboxEvents() []wire.Event {
	l.t.Helper()
	f, err := os.Open(filepath.Join(l.classDir(), "outbox.jsonl"))
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	var out []wire.Event
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var e wire.Event
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			l.t.Fatalf("%s's outbox: %v in %s", l.slug, err, lines.Bytes())
		}
		out = append(out, e)
	}
	return out
}

// readiness is what the learner's join reported of the machine.
func (l *e2eLearner) readiness() wire.Readiness {
	l.t.Helper()
	for _, e := range l.outboxEvents() {
		if e.Kind == wire.Ready && e.Readiness != nil {
			return *e.Readiness
		}
	}
	l.t.Fatalf("%s's join reported no readiness", l.slug)
	return wire.Readiness{}
}

// waitUntil polls cond until it holds, for at most e2eLive.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eLive)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, e2eLive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// e2eTutor is a learner's tutor left open, in plain mode, driven line by
// line.
type e2eTutor struct {
	l    *e2eLearner
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *syncBuffer
	done chan error
}

func (l *e2eLearner) startTutor() *e2eTutor {
	l.t.Helper()
	cmd := exec.Command("dockertutor", "--workspace", l.ws)
	cmd.Env = append(os.Environ(), l.env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	tu := &e2eTutor{l: l, cmd: cmd, in: in, out: &syncBuffer{}, done: make(chan error, 1)}
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			tu.out.WriteString(lines.Text() + "\n")
		}
		tu.done <- cmd.Wait()
	}()
	l.t.Cleanup(func() { cmd.Process.Kill(); <-tu.done })
	return tu
}

// say types a line, and waits for the tutor's next prompt.
func (tu *e2eTutor) say(line string) {
	tu.l.t.Helper()
	prompts := strings.Count(tu.out.String(), plainPromptText)
	if _, err := io.WriteString(tu.in, line+"\n"); err != nil {
		tu.l.t.Fatalf("typing %q into the tutor: %v\n%s", line, err, tu.out)
	}
	waitUntil(tu.l.t, "the tutor's prompt after "+line, func() bool {
		return strings.Count(tu.out.String(), plainPromptText) > prompts
	})
}

// quit types q and waits for a clean exit.
func (tu *e2eTutor) quit() {
	tu.l.t.Helper()
	io.WriteString(tu.in, "q\n")
	select {
	case err := <-tu.done:
		tu.done <- err // for the cleanup
		if err != nil {
			tu.l.t.Errorf("the tutor after q: %v\n%s", err, tu.out)
		}
	case <-time.After(e2eLive):
		tu.l.t.Fatalf("the tutor did not quit within %v of q:\n%s", e2eLive, tu.out)
	}
}

// plainPromptText is the plain mode's prompt (tui/plain's plainPrompt).
const plainPromptText = "Command (? for the list): "

// dashBrowser is the instructor's dashboard in a headless Chromium tab.
type dashBrowser struct {
	t *testing.T
	*browsertest.Chromium
}

// openDashboard signs in with the link class serve printed.
func openDashboard(t *testing.T, chromium, link, origin string) *dashBrowser {
	t.Helper()
	b := &dashBrowser{t: t, Chromium: browsertest.StartChromium(t.Context(), t, chromium, e2eLive)}
	b.do(chromedp.Navigate(link))
	b.waitFor("the room", `!!document.querySelector('#view-room') && !!document.getElementById('live')`)
	if loc := b.eval(`location.href`); loc != origin+"/" {
		t.Errorf("after sign-in the address bar reads %q, want %q", loc, origin+"/")
	}
	return b
}

func (b *dashBrowser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.Do(b.t, actions...)
}

func (b *dashBrowser) eval(expr string) string {
	b.t.Helper()
	return browsertest.Eval[string](b.t, b.Chromium, expr)
}

// waitFor polls a JavaScript condition until it holds, for at most
// e2eLive: the page follows the learners through its live stream.
func (b *dashBrowser) waitFor(what, expr string) {
	b.t.Helper()
	b.WaitFor(b.t, what, expr, e2eLive)
}

// readinessShows opens the readiness view, waits for each learner's
// machine as their join reported it, and goes back to the room.
func (b *dashBrowser) readinessShows(learners []*e2eLearner) {
	b.t.Helper()
	b.click(`nav a[data-show="readiness"]`)
	for _, l := range learners {
		want := "does not answer"
		if r := l.readiness(); r.Docker {
			want = r.Version
		}
		b.waitFor(l.slug+"'s machine in the readiness view", `(document.querySelector('#view-readiness tr[data-learner="`+l.id+`"]')?.textContent ?? '').includes(`+browsertest.JSString(want)+`)`)
	}
	b.click(`nav a[data-show="room"]`)
}

func (b *dashBrowser) click(sel string) { b.t.Helper(); b.do(chromedp.Click(chromedp.CSS(sel))) }

// row is the expression of a learner's row in the room; cell the text of
// one of its cells (” while the row is not there).
func (b *dashBrowser) row(id string) string {
	return `document.querySelector('#view-room tr[data-learner="` + id + `"]')`
}

func (b *dashBrowser) cell(id, class string) string {
	return `(` + b.row(id) + `?.querySelector('td.` + class + `')?.textContent ?? '').replace(/\s+/g, ' ')`
}

// noMarkup checks that no learner's name became an element.
func (b *dashBrowser) noMarkup() {
	b.t.Helper()
	if n := b.eval(`String(document.querySelectorAll('svg, img, [onload], [onerror]').length)`); n != "0" {
		b.t.Errorf("%s elements on the page from a name that must stay text", n)
	}
}
