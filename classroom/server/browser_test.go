package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/dockertutor/dockertutor/classroom/server"
	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/internal/browsertest"
	"github.com/dockertutor/dockertutor/lessons"
)

// screenshotDirEnv names a folder the room's screenshot is also written
// to, as dashboard.png, for the README.
const screenshotDirEnv = "DOCKERTUTOR_SCREENSHOT_DIR"

// Bounds on what the page must do; generous for a loaded two-core
// machine, and each wait ends as soon as the page is there.
const (
	liveWithin  = 5 * time.Second  // a learner's verdict reaches the open page
	pageWithin  = 20 * time.Second // a page loads, a form's change shows
	startWithin = time.Minute      // a browser starts and opens its first session
)

// hostileName is a display name that would run script if a page put it
// into the document as markup.
const hostileName = `<img src=x onerror=alert(1)>"'`

// TestBrowserDashboard serves a class on loopback, has learners act over
// the real protocol, and checks the instructor's dashboard in headless
// Chromium: what the room, steps and readiness views show, the live
// update without a reload, the forms, escaping, the origin check, a
// projector's 1280x720, and that nothing is loaded from past the server.
func TestBrowserDashboard(t *testing.T) {
	chromium := browsertest.ChromiumPath(t)
	if chromium == "" {
		t.Skip("no chromium in PATH: the dashboard's browser test needs it (apt-get install chromium)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	c := serveClass(t)
	ada := seedRoom(c)

	b := &browser{t: t, Chromium: browsertest.StartChromium(ctx, t, chromium, pageWithin)}
	// Each part works on the room the parts before it left: the first to
	// fail ends the test. The helpers report to the part that runs.
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		ok := t.Run(name, func(t *testing.T) {
			b.t, c.t = t, t
			f(t)
		})
		b.t, c.t = t, t
		if !ok {
			t.FailNow()
		}
	}

	step("sign-in", func(t *testing.T) {
		b.do(chromedp.Navigate(c.origin + "/?token=" + c.instructor))
		b.waitFor("the room", `!!document.querySelector('#view-room table.room')`, pageWithin)
		loc := run(b, chromedp.Location())
		if loc != c.origin+"/" {
			t.Errorf("address bar %q, want %q: the token must leave it", loc, c.origin+"/")
		}
		hist := run(b, chromedp.NavigationEntries())
		for _, e := range hist.Entries {
			if strings.Contains(e.URL, c.instructor) {
				t.Errorf("the token stays in the history: %s", e.URL)
			}
		}
		if jar := eval[string](b, `document.cookie`); strings.Contains(jar, c.instructor) {
			t.Errorf("the page's script can read the token: document.cookie = %q", jar)
		}
		cookies, err := chromedp.Call(b.Tab, network.GetCookies, network.GetCookiesParams{URLs: []string{c.origin + "/"}})
		if err != nil { // a command, not a query: it answers at once
			t.Fatal(err)
		}
		found := false
		for _, k := range cookies.Cookies {
			if k.Value == c.instructor {
				found = true
				if !k.HTTPOnly || k.SameSite != network.CookieSameSiteStrict {
					t.Errorf("the instructor's cookie %s: HttpOnly %v, SameSite %q; want HttpOnly, Strict", k.Name, k.HTTPOnly, k.SameSite)
				}
			}
		}
		if !found {
			t.Errorf("no cookie holds the instructor's token after sign-in: %+v", cookies.Cookies)
		}
	})

	total := len(c.course.Steps())
	step("room", func(t *testing.T) {
		adaRow := b.row("ada-1")
		want := map[string]string{
			"step":     "1.4 " + c.stepTitle("pin-exact"),
			"progress": fmt.Sprintf("3/%d", total),
			"verdict":  c.checkName("pin-exact", "supported"),
			"hints":    "0",
		}
		for cell, text := range want {
			if got := eval[string](b, adaRow+`.querySelector('td.`+cell+`').textContent.replace(/\s+/g, ' ').trim()`); !strings.Contains(got, text) {
				t.Errorf("Ada's %s cell %q, want it to show %q", cell, got, text)
			}
		}
		if v := eval[string](b, adaRow+`.dataset.verdict`); v != "failed" {
			t.Errorf("Ada's last verdict %q, want failed", v)
		}
		graceRow := b.row("grace-1")
		for _, check := range []string{"copies", "no-leak"} {
			if got := eval[string](b, graceRow+`.querySelector('td.verdict').textContent`); !strings.Contains(got, c.checkName("multi-stage-fix", check)) {
				t.Errorf("Grace's failing checks %q, want %q named", got, c.checkName("multi-stage-fix", check))
			}
		}
		if got := eval[string](b, graceRow+`.querySelector('td.hints').textContent.trim()`); got != "2" {
			t.Errorf("Grace's hints %q, want 2", got)
		}
		if stuck := eval[string](b, graceRow+`.dataset.stuck`); stuck != "false" {
			t.Errorf("Grace stuck after 6 minutes at the default stuck time: %s", stuck)
		}
		if n := eval[int](b, `document.querySelectorAll('#view-room tbody tr').length`); n != 6 {
			t.Errorf("%d learners in the room, want 6", n)
		}
	})

	step("hostile-name", func(t *testing.T) {
		got := eval[string](b, nameText(b.row("mallory-1")+`.querySelector('td.name')`))
		if got != hostileName {
			t.Errorf("the name reads %q, want the text %q", got, hostileName)
		}
		for _, sel := range []string{"img", "[onerror]"} {
			if n := eval[int](b, `document.querySelectorAll('`+sel+`').length`); n != 0 {
				t.Errorf("%d elements match %s: the name became markup", n, sel)
			}
		}
		if got := eval[string](b, nameText(`document.querySelector('#view-readiness tr[data-learner="mallory-1"] td.name')`)); got != hostileName {
			t.Errorf("the readiness view's name reads %q, want %q", got, hostileName)
		}
	})

	step("live-update", func(t *testing.T) {
		// A reload would clear the marker: the update must come through
		// the page's live stream.
		version := eval[int](b, `window.dashboardMarker = 'kept'; +document.getElementById('live').dataset.version`)
		posted := time.Now()
		ada.check("pin-exact")
		b.waitFor("Ada's new verdict", b.row("ada-1")+`?.dataset.verdict === 'passed' && `+
			b.row("ada-1")+`.querySelector('td.progress').textContent.includes('4/`+fmt.Sprint(total)+`')`, liveWithin)
		t.Logf("a learner's verdict showed on the open page %v after it was posted", time.Since(posted).Round(time.Millisecond))
		if m := eval[string](b, `String(window.dashboardMarker)`); m != "kept" {
			t.Errorf("the page reloaded to show the verdict (marker %q)", m)
		}
		if v := eval[int](b, `+document.getElementById('live').dataset.version`); v <= version {
			t.Errorf("live version %d after the update, was %d", v, version)
		}
		if got := eval[string](b, b.row("ada-1")+`.querySelector('td.verdict').textContent`); strings.Contains(got, c.checkName("pin-exact", "supported")) {
			t.Errorf("Ada's passing verdict still names a failing check: %q", got)
		}
	})

	step("stuck", func(t *testing.T) {
		b.view("controls")
		b.submit(`form[action="/settings"]`, map[string]string{"#stuck-minutes": "2"})
		b.view("room")
		b.waitFor("Grace's stuck mark", b.row("grace-1")+`?.dataset.stuck === 'true' && `+
			b.row("grace-1")+`.querySelector('.stuck-tag')?.offsetParent !== null`, pageWithin)
		// A pass and a failure must not look alike from the back of the
		// room: a failing verdict's mark has the stuck tag's alarm colour.
		colour := func(el string) string { return eval[string](b, `getComputedStyle(`+el+`).color`) }
		pass, fail, alarm := colour(b.row("ada-1")+`.querySelector('.mark')`), colour(b.row("grace-1")+`.querySelector('.mark')`),
			colour(b.row("grace-1")+`.querySelector('.stuck-tag')`)
		if fail == pass || fail != alarm {
			t.Errorf("verdict marks: passed %s, failed %s; want the failed one in the stuck tag's %s", pass, fail, alarm)
		}
		if got := eval[string](b, b.row("mallory-1")+`.dataset.stuck`); got != "false" {
			t.Errorf("a learner on her step for seconds is marked stuck (%s)", got)
		}
		if got := eval[string](b, `document.querySelector('#h-room small').textContent`); !strings.Contains(got, "stuck after 2 min") {
			t.Errorf("the room's heading says %q, want the stuck time of 2 min", got)
		}
	})

	step("steps", func(t *testing.T) {
		b.view("steps")
		row := `document.querySelector('#view-steps tr[data-step="multi-stage-fix"]')`
		got := eval[map[string]string](b, `({...`+row+`.dataset})`)
		if got["working"] != "1" || got["stuck"] != "1" {
			t.Errorf("step 4.4: working %s, stuck %s; want 1 and 1 (Mallory working, Grace stuck)", got["working"], got["stuck"])
		}
		for check, n := range map[string]int{"no-leak": 2, "copies": 1} {
			span := row + `.querySelector('.check[data-check="` + check + `"]')`
			text := eval[string](b, `(`+span+`?.textContent ?? '').replace(/\s+/g, ' ').trim()`)
			want := fmt.Sprintf("%s ×%d", c.checkName("multi-stage-fix", check), n)
			if text != want {
				t.Errorf("step 4.4's failing check %s reads %q, want %q", check, text, want)
			}
		}
		if got := eval[string](b, `document.querySelector('#view-steps tr[data-step="you-own-the-os"]').dataset.passed`); got != "5" {
			t.Errorf("step 1.1 passed by %s, want 5", got)
		}
		if got := eval[string](b, `document.querySelector('#view-steps tr[data-step="pin-exact"]').dataset.passed`); got != "1" {
			t.Errorf("step 1.4 passed by %s, want 1 (Ada)", got)
		}
		b.noOverflow()
		b.screenshot("dashboard-steps")
	})

	step("readiness", func(t *testing.T) {
		b.view("readiness")
		text := func(id string) string {
			return eval[string](b, `document.querySelector('#view-readiness tr[data-learner="`+id+`"]').textContent.replace(/\s+/g, ' ')`)
		}
		ref := c.course.Images[0].Ref
		for _, w := range []string{"answers", "Docker Engine - Community 29.1.2", "BuildKit, classic", "docker build: buildkit", "1 present"} {
			if got := text("ada-1"); !strings.Contains(got, w) {
				t.Errorf("Ada's machine reads %q, want %q in it", got, w)
			}
		}
		for _, w := range []string{"Podman Engine 5.4.0", "classic (docker build: legacy)", "missing: " + ref} {
			if got := text("grace-1"); !strings.Contains(got, w) {
				t.Errorf("Grace's machine reads %q, want %q in it", got, w)
			}
		}
		if got := text("linus-1"); !strings.Contains(got, "0 present; at another digest: "+ref) || strings.Contains(got, "missing") {
			t.Errorf("Linus's machine reads %q, want its image at another digest, not missing", got)
		}
		if got := text("mallory-1"); !strings.Contains(got, "nothing reported yet") {
			t.Errorf("a machine that reported nothing reads %q", got)
		}
		cut := eval[[]string](b, `[...document.querySelectorAll('#view-readiness td:not(.name)')].filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent)`)
		for _, text := range cut {
			t.Errorf("a readiness cell is cut at 1280 pixels: %q", text)
		}
		ready := eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('#view-readiness tr[data-learner]')].map(r => [r.dataset.learner, r.dataset.ready]))`)
		if ready["ada-1"] != "true" || ready["grace-1"] != "false" || ready["linus-1"] != "false" {
			t.Errorf("ready: %v; want Ada's machine ready, Grace's and Linus's not", ready)
		}
		b.noOverflow()
		b.screenshot("dashboard-readiness")
	})

	const message = `Break until 10:15 <b>coffee</b> & tea`
	step("message", func(t *testing.T) {
		b.view("controls")
		b.submit(`form[action="/message"]`, map[string]string{"#message-text": message})
		if got := ada.state().Message; got != message {
			t.Errorf("the learner's ack carries the message %q, want %q", got, message)
		}
		b.view("room")
		b.waitFor("the message on the page", `document.querySelector('[data-message]')?.textContent === 'Message: ' + `+browsertest.JSString(message), pageWithin)
		if n := eval[int](b, `document.querySelectorAll('[data-message] b').length`); n != 0 {
			t.Errorf("the message's markup became elements")
		}
		b.noOverflow()
		b.screenshot("dashboard")
		// The same room for a browser set to dark, kept to be looked at.
		dark := []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
		if _, err := chromedp.Call(b.Tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: dark}); err != nil {
			t.Fatal(err)
		}
		b.waitFor("the dark colours", `matchMedia('(prefers-color-scheme: dark)').matches`, pageWithin)
		b.screenshot("dashboard-dark")
		if _, err := chromedp.Call(b.Tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			t.Fatal(err)
		}
	})

	step("hold", func(t *testing.T) {
		b.view("controls")
		b.noOverflow()
		b.screenshot("dashboard-controls")
		b.submit(`form[action="/hold"]`, map[string]string{"#hold-lesson": "when-to-update"})
		if got := ada.state(); got.HoldLesson != "when-to-update" || got.Message != message {
			t.Errorf("the learner's ack carries %+v, want the hold at when-to-update and the message kept", got)
		}
		b.view("room")
		b.waitFor("the hold on the page", `document.querySelector('[data-hold]')?.dataset.hold === 'when-to-update'`, pageWithin)
		// Grace works in a lesson after the held one: she waits, and is
		// no longer stuck.
		b.waitFor("Grace waiting", b.row("grace-1")+`?.dataset.waiting === 'true' && `+b.row("grace-1")+`.dataset.stuck === 'false'`, pageWithin)
		b.view("steps")
		if got := eval[bool](b, `document.querySelector('#view-steps tr[data-step="multi-stage-fix"]').classList.contains('held-step')`); !got {
			t.Errorf("a step of a lesson after the held one is not shown held")
		}
		b.view("room")
	})

	step("cross-origin", func(t *testing.T) {
		// Another port of the same host is another origin but the same
		// site: the browser sends the SameSite=Strict cookie along, so
		// only the server's origin check stands in the way.
		evil := evilSite(t, c.origin+"/message")
		tab, cancel := chromedp.NewContext(b.Tab)
		defer cancel()
		tab, cancelWait := context.WithTimeout(tab, 2*pageWithin)
		defer cancelWait()
		if err := chromedp.Do(tab, chromedp.Navigate(evil)); err != nil {
			t.Fatal(err)
		}
		resp, err := chromedp.Run(tab, chromedp.WaitEvent(network.ResponseReceived,
			func(e network.EventResponseReceived) bool { return e.Response.URL == c.origin+"/message" },
			chromedp.Click(chromedp.CSS("#go"))))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Response.Status != http.StatusForbidden {
			t.Errorf("a form posted from %s got %d, want 403", evil, resp.Response.Status)
		}
		if got := ada.state().Message; got != message {
			t.Errorf("a cross-origin form changed the message to %q", got)
		}

		// Without Sec-Fetch-Site (an older browser), the Origin decides.
		for _, origin := range []string{"http://evil.example", "null"} {
			if code := c.formPost("/message", origin, "text=pwned"); code != http.StatusForbidden {
				t.Errorf("a form post with Origin %s: %d, want 403", origin, code)
			}
		}
		if code := c.formPost("/message", c.origin, "text="+url.QueryEscape(message)); code != http.StatusSeeOther {
			t.Errorf("the same post from the dashboard's own origin: %d, want 303", code)
		}
		if got := ada.state().Message; got != message {
			t.Errorf("the message is %q after the refused posts, want %q", got, message)
		}
	})

	step("page-health", func(t *testing.T) {
		b.noOverflow()
		problems, requests, dialogs := b.Report(t)
		browsertest.PageHealth(t, c.origin, problems, requests, dialogs)
		for _, r := range requests {
			if u, err := url.Parse(r); err == nil && u.Path == "/x" {
				t.Errorf("the page fetched %s: the hostile name's <img> was built", r)
			}
		}
		for _, want := range []string{"/static/class.css", "/static/live.js", "/live"} {
			if !slices.Contains(requests, c.origin+want) {
				t.Errorf("the page never loaded %s; it loaded %v", want, requests)
			}
		}
	})
}

// seedRoom has six learners join and act, and returns Ada, who acts on:
// Ada passes the first steps and fails one check of 1.4; Mallory, of the
// hostile name, fails one check of 4.4; Grace has been failing two
// checks of 4.4 for six minutes (not stuck at the default ten); two fail
// 1.2; Linus has not started. Ada's and Grace's machines report their
// readiness.
func seedRoom(c *liveClass) (ada *learner) {
	c.t.Helper()
	ada = c.join("ada-1", "Ada")
	mallory := c.join("mallory-1", hostileName)
	grace := c.join("grace-1", "Grace")
	// Grace has been on her step for six minutes when the page opens: not
	// stuck at the default ten, stuck once the instructor says two.
	grace.ago = 6 * time.Minute
	// The rest of the room: two at the first exercise, failing it (one
	// with a name of the most letters a name keeps), one not started.
	for i, name := range []string{"Bartholomew Featherstonehaugh-Whittington", "Zoë Ødegård"} {
		l := c.join(fmt.Sprintf("learner-%d", i+1), name)
		l.open("you-own-the-os")
		l.open("follow-newest")
		l.check("follow-newest", "floating")
	}
	linus := c.join("linus-1", "Linus")
	// Linus's machine has the course's images under their tags, but not
	// at the digests the course pins (a `docker load` of other files).
	linus.ready(wire.Readiness{Docker: true, Engine: "Docker Engine - Community", Version: "20.10.24+dfsg1", API: "1.41",
		BuildKit: true, Classic: true, DockerBuild: "buildkit", Images: c.images("other-digest")})

	ada.ready(wire.Readiness{Docker: true, Engine: "Docker Engine - Community", Version: "29.1.2", API: "1.52",
		BuildKit: true, Classic: true, DockerBuild: "buildkit", Images: c.images("pinned")})
	ada.open("you-own-the-os")
	ada.open("follow-newest")
	ada.check("follow-newest")
	ada.open("floating-tradeoffs")
	ada.answer("floating-tradeoffs", 1)
	ada.check("floating-tradeoffs")
	ada.open("pin-exact")
	ada.check("pin-exact", "supported")

	mallory.open("you-own-the-os")
	mallory.open("follow-newest")
	mallory.hint("follow-newest", 1)
	mallory.open("multi-stage-fix")
	mallory.check("multi-stage-fix", "no-leak")

	grace.ready(wire.Readiness{Docker: true, Engine: "Podman Engine", Version: "5.4.0", API: "1.41",
		Classic: true, DockerBuild: "legacy", Images: c.images("missing")})
	grace.open("you-own-the-os")
	grace.open("build-time-secrets")
	grace.open("leak-build")
	grace.check("leak-build")
	grace.open("multi-stage-fix")
	grace.hint("multi-stage-fix", 1)
	grace.hint("multi-stage-fix", 2)
	grace.check("multi-stage-fix", "copies", "no-leak")

	return ada
}

// liveClass is the class server as `class serve` runs it: the built-in
// course, a file database, a real listener on loopback.
type liveClass struct {
	t          *testing.T
	course     *lessons.Course
	origin     string // http://127.0.0.1:PORT
	code       string
	instructor string
}

func serveClass(t *testing.T) *liveClass {
	t.Helper()
	course, problems := lessons.Builtin()
	if len(problems) > 0 {
		t.Fatalf("the built-in course: %v", problems)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "class.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The class began an hour ago: learners' events are backdated by
	// minutes (learner.ago), and the server takes none as older than the
	// class.
	cls, token, err := server.CreateClass(t.Context(), st, course, "Docker security, Tuesday", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()
	srv, err := server.New(st, course, server.Options{JoinURL: origin + "/join/" + cls.Code})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	hs.RegisterOnShutdown(srv.Close)
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		srv.Close()
		st.Close()
	})
	return &liveClass{t: t, course: course, origin: origin, code: cls.Code, instructor: token}
}

// loopback is the one HTTP client of the test: no proxy, whatever the
// environment says, and no redirects followed.
var loopback = &http.Client{
	Transport:     &http.Transport{Proxy: nil},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

func (c *liveClass) stepTitle(id string) string {
	st, ok := c.course.Step(id)
	if !ok {
		c.t.Fatalf("the built-in course has no step %s", id)
	}
	return st.Title
}

// checkName is what the instructor reads of a check.
func (c *liveClass) checkName(step, check string) string {
	st, ok := c.course.Step(step)
	if !ok {
		c.t.Fatalf("the built-in course has no step %s", step)
	}
	ch, ok := st.Check(check)
	if !ok {
		c.t.Fatalf("step %s has no check %s", step, check)
	}
	return ch.Name()
}

// images is the course's images as a machine reports them, all in one
// state.
func (c *liveClass) images(state string) []wire.ImageReadiness {
	var out []wire.ImageReadiness
	for _, im := range c.course.Images {
		out = append(out, wire.ImageReadiness{Ref: im.Ref, Present: state != "missing", State: state})
	}
	return out
}

// formPost posts a dashboard form as a browser page of origin would,
// with the instructor's cookie, and returns the status.
func (c *liveClass) formPost(path, origin, body string) int {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.origin+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	req.AddCookie(&http.Cookie{Name: "dockertutor_instructor", Value: c.instructor})
	resp, err := loopback.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// learner is one learner's tutor, speaking the class protocol: each
// method is one thing the tutor reports.
type learner struct {
	class *liveClass
	id    string
	token string
	seq   int64
	// ago is how long before now the learner's actions happened.
	ago time.Duration
}

func (c *liveClass) join(id, name string) *learner {
	c.t.Helper()
	var a wire.JoinAnswer
	c.api("/api/v1/join", "", wire.JoinRequest{Code: c.code, Name: name, Learner: id, Course: c.course.ID}, &a)
	if a.Token == "" {
		c.t.Fatalf("join %s: no token", id)
	}
	return &learner{class: c, id: id, token: a.Token}
}

// api posts a JSON request and decodes a 200 answer into out.
func (c *liveClass) api(path, token string, body, out any) {
	c.t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", c.origin+path, bytes.NewReader(data))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := loopback.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, answer)
	}
	if err := json.Unmarshal(answer, out); err != nil {
		c.t.Fatalf("POST %s: %v in %s", path, err, answer)
	}
}

// send posts events (numbered on from the last) and returns the class's
// state from the ack.
func (l *learner) send(events ...wire.Event) wire.ClassState {
	l.class.t.Helper()
	for i := range events {
		l.seq++
		events[i].Seq = l.seq
		events[i].At = time.Now().Add(-l.ago).UTC()
	}
	var ack wire.Ack
	l.class.api("/api/v1/events", l.token, wire.EventBatch{Format: wire.EventsFormat, Events: events}, &ack)
	if ack.Acked != l.seq {
		l.class.t.Fatalf("%s: acked %d, sent up to %d", l.id, ack.Acked, l.seq)
	}
	return ack.Class
}

// state is the tutor's periodic empty post: what the class says now.
func (l *learner) state() wire.ClassState { return l.send() }

func (l *learner) open(step string) { l.send(wire.Event{Kind: wire.StepOpened, Step: step}) }

func (l *learner) hint(step string, n int) {
	l.send(wire.Event{Kind: wire.HintShown, Step: step, Hint: n})
}

func (l *learner) answer(step string, attempts int) {
	l.send(wire.Event{Kind: wire.AnswerGiven, Step: step, Attempts: attempts})
}

func (l *learner) ready(r wire.Readiness) { l.send(wire.Event{Kind: wire.Ready, Readiness: &r}) }

// check reports a verdict on every check of the step: the ones named
// failed, the others passed.
func (l *learner) check(step string, failing ...string) {
	l.class.t.Helper()
	st, ok := l.class.course.Step(step)
	if !ok {
		l.class.t.Fatalf("the built-in course has no step %s", step)
	}
	e := wire.Event{Kind: wire.Verdict, Step: step, Passed: len(failing) == 0}
	for _, ch := range st.Checks {
		o := wire.Passed
		if slices.Contains(failing, ch.ID) {
			o = wire.Failed
		}
		e.Checks = append(e.Checks, wire.CheckOutcome{ID: ch.ID, Outcome: o})
	}
	for _, id := range failing {
		if _, ok := st.Check(id); !ok {
			l.class.t.Fatalf("step %s has no check %s", step, id)
		}
	}
	l.send(e)
}

// evilSite serves, on another loopback port, a page whose form posts to
// target.
func evilSite(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>A page elsewhere</title><form method="post" action="%s"><input name="text" value="pwned"><button id="go" type="submit">Win a prize</button></form>`, target)
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// browser is the dashboard's Chromium tab as the part of the test that
// runs now (t) sees it: a failure ends that part.
type browser struct {
	t *testing.T
	*browsertest.Chromium
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.Do(b.t, actions...)
}

func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	return browsertest.Run(b.t, b.Chromium, a)
}

func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	return browsertest.Eval[T](b.t, b.Chromium, expr)
}

// row is the expression of a learner's row in the room.
func (b *browser) row(id string) string {
	return `document.querySelector('#view-room tr[data-learner="` + id + `"]')`
}

// waitFor polls a JavaScript condition until it holds, for at most
// within, and returns how long it took.
func (b *browser) waitFor(what, expr string, within time.Duration) time.Duration {
	b.t.Helper()
	return b.WaitFor(b.t, what, expr, within)
}

// view clicks the view's tab, as the instructor does.
func (b *browser) view(name string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`nav a[data-show="` + name + `"]`)))
	b.waitFor("the "+name+" view", `document.getElementById('view-`+name+`')?.offsetParent !== null`, pageWithin)
}

// submit fills a form's fields (selector -> value) and presses its first
// button, then waits for the page the server answers with.
func (b *browser) submit(form string, fields map[string]string) {
	b.t.Helper()
	for sel, v := range fields {
		b.do(chromedp.SetValue(chromedp.CSS(sel), v))
	}
	ctx, cancel := b.Bounded()
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(form+` button[type="submit"]`))))
	if err != nil {
		b.t.Fatalf("submitting %s: %v", form, err)
	}
	loc := eval[string](b, `location.pathname + location.hash`)
	if loc != "/#controls" {
		b.t.Fatalf("after submitting %s the browser is at %s: %s", form, loc, eval[string](b, `document.body.innerText`))
	}
	b.waitFor("the dashboard again", `!!document.getElementById('live')`, pageWithin)
}

// overflowJS lists the shown elements that stick out past the right
// (or left) edge of the viewport.
const overflowJS = `(() => {
	const w = document.documentElement.clientWidth, out = [];
	for (const el of document.querySelectorAll('body *')) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue;
		if (r.right > w + 0.5 || r.left < -0.5) {
			out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
		}
	}
	return out;
})()`

// noOverflow checks that nothing shown is wider than the 1280 pixels of
// the projector: the page does not scroll sideways, no element sticks out.
func (b *browser) noOverflow() {
	b.t.Helper()
	if w := eval[int](b, `window.innerWidth`); w != 1280 {
		b.t.Fatalf("viewport %d pixels wide, want 1280", w)
	}
	if sw := eval[int](b, `document.documentElement.scrollWidth`); sw > 1280 {
		b.t.Errorf("the page is %d pixels wide at 1280: it scrolls sideways", sw)
	}
	out := eval[[]string](b, overflowJS)
	for _, o := range out {
		b.t.Errorf("past the right edge at 1280x720: %s", o)
	}
}

// screenshot keeps the viewport as name.png, a test artefact (go test
// -artifacts); the room's, dashboard.png, also goes to
// DOCKERTUTOR_SCREENSHOT_DIR when it is set, for the README.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	shot := run(b, chromedp.CaptureScreenshot())
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil {
		b.t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if cfg.Width != 1280 || cfg.Height != 720 {
		b.t.Errorf("screenshot %dx%d, want 1280x720", cfg.Width, cfg.Height)
	}
	dirs := []string{b.t.ArtifactDir()}
	if d := os.Getenv(screenshotDirEnv); d != "" && name == "dashboard" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name+".png")
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", p)
	}
}

// nameText is JavaScript for the learner's name in a name cell: its first
// text node, without the "offline" tag a learner not heard from within
// room.OnlineWithin gets (on a loaded machine a browser can take that
// long to start). A name that became markup has no such text node.
func nameText(cell string) string {
	return `(c => c.firstChild && c.firstChild.nodeType === Node.TEXT_NODE ? c.firstChild.nodeValue.trimEnd() : '')(` + cell + `)`
}
