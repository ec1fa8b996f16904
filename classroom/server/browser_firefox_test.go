package server_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/dockertutor/dockertutor/internal/browsertest"
)

// requireFirefoxEnv makes a missing Firefox a failure instead of a skip.
const requireFirefoxEnv = "DOCKERTUTOR_REQUIRE_FIREFOX"

// TestBrowserDashboardFirefox opens the dashboard in headless Firefox,
// driven through WebDriver BiDi (Firefox speaks it itself; no driver
// program), to check that the page works there too: sign-in, the room,
// a live update over server-sent events, the tabs, a form, escaping,
// 1280x720, and a quiet console.
func TestBrowserDashboardFirefox(t *testing.T) {
	firefox := firefoxPath(t)
	c := serveClass(t)
	ada := seedRoom(c)
	ff := startFirefox(t, firefox)

	ff.navigate(c.origin + "/?token=" + c.instructor)
	if loc := evalFF[string](ff, `location.href`); loc != c.origin+"/" {
		t.Errorf("address bar %q, want %q: the token must leave it", loc, c.origin+"/")
	}
	ff.waitFor("the room", `document.querySelectorAll('#view-room tbody tr').length === 6`, pageWithin)

	if got := evalFF[string](ff, nameText(`document.querySelector('#view-room tr[data-learner="mallory-1"] td.name')`)); got != hostileName {
		t.Errorf("the name reads %q, want the text %q", got, hostileName)
	}
	if n := evalFF[int](ff, `document.querySelectorAll('img, [onerror]').length`); n != 0 {
		t.Errorf("%d elements from the hostile name", n)
	}

	row := `document.querySelector('#view-room tr[data-learner="ada-1"]')`
	evalFF[string](ff, `window.dashboardMarker = 'kept'`)
	posted := time.Now()
	ada.check("pin-exact")
	ff.waitFor("Ada's new verdict", row+`?.dataset.verdict === 'passed'`, liveWithin)
	t.Logf("a learner's verdict showed in Firefox %v after it was posted", time.Since(posted).Round(time.Millisecond))
	if m := evalFF[string](ff, `String(window.dashboardMarker)`); m != "kept" {
		t.Errorf("the page reloaded to show the verdict (marker %q)", m)
	}

	for _, view := range []string{"steps", "readiness", "controls", "room"} {
		evalFF[bool](ff, `document.querySelector('nav a[data-show="`+view+`"]').click(), true`)
		ff.waitFor("the "+view+" view", `document.getElementById('view-`+view+`').offsetParent !== null`, pageWithin)
		if sw := evalFF[int](ff, `document.documentElement.scrollWidth`); sw > 1280 {
			t.Errorf("the %s view is %d pixels wide at 1280", view, sw)
		}
		for _, o := range evalFF[[]string](ff, overflowJS) {
			t.Errorf("the %s view, past the right edge at 1280x720: %s", view, o)
		}
	}

	const message = "Firefox says hello"
	evalFF[bool](ff, `document.querySelector('nav a[data-show="controls"]').click(), true`)
	evalFF[bool](ff, `document.getElementById('message-text').value = `+browsertest.JSString(message)+`, true`)
	evalFF[bool](ff, `document.querySelector('form[action="/message"] button[type="submit"]').click(), true`)
	ff.waitFor("the message on the page", `document.querySelector('[data-message]')?.textContent === 'Message: ' + `+browsertest.JSString(message), pageWithin)
	if got := ada.state().Message; got != message {
		t.Errorf("after Firefox's form the learner's ack carries the message %q, want %q", got, message)
	}
	evalFF[bool](ff, `document.querySelector('nav a[data-show="room"]').click(), true`)
	ff.screenshot("dashboard-firefox")

	problems, requests, prompts := ff.report()
	browsertest.PageHealth(t, c.origin, problems, requests, prompts)
}

// firefoxPath finds Firefox, or skips (fails under
// DOCKERTUTOR_REQUIRE_FIREFOX=1) without one.
func firefoxPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(requireFirefoxEnv) == "1" {
		t.Fatalf("Firefox required (%s=1) but not found in PATH", requireFirefoxEnv)
	}
	t.Skip("no Firefox in PATH: apt-get install firefox-esr to test the dashboard in it")
	return ""
}

// firefoxPrefs keep Firefox's own traffic (updates, telemetry, remote
// settings, portal detection) on this machine: every address but
// loopback goes through a proxy that is a sink on loopback.
const firefoxPrefs = `
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", %[1]d);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", %[1]d);
user_pref("network.proxy.socks", "127.0.0.1");
user_pref("network.proxy.socks_port", %[1]d);
user_pref("network.proxy.socks_remote_dns", true);
user_pref("network.proxy.allow_hijacking_localhost", false);
user_pref("network.trr.mode", 5);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("services.settings.server", "http://127.0.0.1:%[1]d/v1");
user_pref("app.normandy.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.update.disabledForTesting", true);
user_pref("media.gmp-manager.updateEnabled", false);
user_pref("messaging-system.rsexperimentloader.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("browser.startup.page", 0);
user_pref("browser.newtabpage.enabled", false);
`

// firefox is a headless Firefox with one tab, spoken to over WebDriver
// BiDi.
type firefox struct {
	t       *testing.T
	ws      *websocket.Conn
	context string // the tab's browsing context

	mu       sync.Mutex
	next     int
	waiting  map[int]chan bidiMessage
	requests []string
	logs     []bidiLog
	prompts  []string
}

type bidiMessage struct {
	Type    string          `json:"type"`
	ID      int             `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

type bidiLog struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}

var bidiURL = regexp.MustCompile(`WebDriver BiDi listening on (ws://(?:localhost|127\.0\.0\.1):\d+)`)

func startFirefox(t *testing.T, path string) *firefox {
	t.Helper()
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), fmt.Appendf(nil, firefoxPrefs, browsertest.Sink(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port=0", "--remote-allow-origins=http://127.0.0.1", "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1")
	// Its own process group, so that the content processes end with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	found := make(chan string, 1)
	var said bytes.Buffer
	var saidMu sync.Mutex
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			saidMu.Lock()
			said.WriteString(sc.Text() + "\n")
			saidMu.Unlock()
			if m := bidiURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
	}()
	var url string
	select {
	case url = <-found:
	case <-exited:
		t.Fatalf("Firefox ended before it listened:\n%s", said.String())
	case <-time.After(time.Minute):
		saidMu.Lock()
		defer saidMu.Unlock()
		t.Fatalf("Firefox did not say where it listens within a minute:\n%s", said.String())
	}

	ws, err := websocket.Dial(url+"/session", "", "http://127.0.0.1")
	if err != nil {
		t.Fatalf("connecting to Firefox at %s: %v", url, err)
	}
	ws.MaxPayloadBytes = 64 << 20 // screenshots
	ff := &firefox{t: t, ws: ws, waiting: map[int]chan bidiMessage{}}
	go ff.read()
	t.Cleanup(func() { ws.Close() })

	var session struct{}
	// Firefox's first session waits for its start-up, which a loaded
	// machine stretches well past a page's bound.
	if err := ff.try("session.new", map[string]any{"capabilities": map[string]any{}}, &session, startWithin); err != nil {
		t.Fatal(err)
	}
	ff.call("session.subscribe", map[string]any{"events": []string{
		"log.entryAdded", "network.beforeRequestSent", "browsingContext.userPromptOpened"}}, &struct{}{})
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	ff.call("browsingContext.getTree", map[string]any{}, &tree)
	if len(tree.Contexts) == 0 {
		t.Fatal("Firefox has no tab")
	}
	ff.context = tree.Contexts[0].Context
	ff.call("browsingContext.setViewport", map[string]any{"context": ff.context,
		"viewport": map[string]int{"width": 1280, "height": 720}}, &struct{}{})
	return ff
}

// read hands each answer to its caller and records the events.
func (ff *firefox) read() {
	for {
		var m bidiMessage
		if err := websocket.JSON.Receive(ff.ws, &m); err != nil {
			ff.mu.Lock()
			for id, ch := range ff.waiting {
				close(ch)
				delete(ff.waiting, id)
			}
			ff.mu.Unlock()
			return
		}
		ff.mu.Lock()
		switch {
		case m.Type == "event":
			ff.event(m.Method, m.Params)
		case ff.waiting[m.ID] != nil:
			ff.waiting[m.ID] <- m
			delete(ff.waiting, m.ID)
		}
		ff.mu.Unlock()
	}
}

// event needs ff.mu.
func (ff *firefox) event(method string, params json.RawMessage) {
	switch method {
	case "network.beforeRequestSent":
		var p struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		if json.Unmarshal(params, &p) == nil {
			ff.requests = append(ff.requests, p.Request.URL)
		}
	case "log.entryAdded":
		var l bidiLog
		if json.Unmarshal(params, &l) == nil {
			ff.logs = append(ff.logs, l)
		}
	case "browsingContext.userPromptOpened":
		var p struct {
			Context string `json:"context"`
			Type    string `json:"type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(params, &p) == nil {
			ff.prompts = append(ff.prompts, fmt.Sprintf("%s %q", p.Type, p.Message))
			// A prompt blocks the page: dismiss it (it is a failure).
			go ff.send("browsingContext.handleUserPrompt", map[string]any{"context": p.Context, "accept": false})
		}
	}
}

// send sends a command and returns the channel its answer comes on.
func (ff *firefox) send(method string, params any) (chan bidiMessage, error) {
	ff.mu.Lock()
	ff.next++
	id := ff.next
	ch := make(chan bidiMessage, 1)
	ff.waiting[id] = ch
	ff.mu.Unlock()
	err := websocket.JSON.Send(ff.ws, map[string]any{"id": id, "method": method, "params": params})
	return ch, err
}

// call runs a command, bounded, and decodes its result into out.
func (ff *firefox) call(method string, params, out any) {
	ff.t.Helper()
	if err := ff.try(method, params, out, pageWithin); err != nil {
		ff.t.Fatal(err)
	}
}

func (ff *firefox) try(method string, params, out any, within time.Duration) error {
	ch, err := ff.send(method, params)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: Firefox closed the connection", method)
		}
		if m.Type == "error" {
			return fmt.Errorf("%s: %s: %s", method, m.Error, m.Message)
		}
		return json.Unmarshal(m.Result, out)
	case <-time.After(within):
		return fmt.Errorf("%s: no answer within %v", method, within)
	}
}

func (ff *firefox) navigate(url string) {
	ff.t.Helper()
	ff.call("browsingContext.navigate", map[string]any{"context": ff.context, "url": url, "wait": "complete"}, &struct{}{})
}

// evalFF evaluates a JavaScript expression in the tab and decodes its
// value, carried as JSON text.
func evalFF[T any](ff *firefox, expr string) T {
	ff.t.Helper()
	var v T
	if err := ff.eval(expr, &v, pageWithin); err != nil {
		ff.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

var errNavigating = errors.New("the page was navigating")

func (ff *firefox) eval(expr string, out any, within time.Duration) error {
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Value *string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := ff.try("script.evaluate", map[string]any{
		"expression":   "Promise.resolve((" + expr + ")).then(v => JSON.stringify(v === undefined ? null : v))",
		"target":       map[string]string{"context": ff.context},
		"awaitPromise": true,
	}, &r, within)
	switch {
	case err != nil && strings.Contains(err.Error(), "navigat"):
		return errNavigating
	case err != nil:
		return err
	case r.Type == "exception":
		return fmt.Errorf("exception: %s", r.ExceptionDetails.Text)
	case r.Result.Value == nil:
		return errors.New("no value")
	}
	return json.Unmarshal([]byte(*r.Result.Value), out)
}

// waitFor polls a JavaScript condition in the page, through a
// navigation too, for at most within.
func (ff *firefox) waitFor(what, cond string, within time.Duration) {
	ff.t.Helper()
	deadline := time.Now().Add(within)
	poll := `new Promise(done => { const end = Date.now() + 1000;
		(function again() { let ok = false; try { ok = !!(` + cond + `); } catch (e) {}
		if (ok || Date.now() > end) { done(ok); } else { setTimeout(again, 20); } })(); })`
	for {
		var ok bool
		err := ff.eval(poll, &ok, pageWithin)
		if err == nil && ok {
			return
		}
		if err != nil && !errors.Is(err, errNavigating) && !strings.Contains(err.Error(), "exception") {
			ff.t.Fatalf("%s: %v", what, err)
		}
		if time.Now().After(deadline) {
			var text string
			ff.eval(`document.body ? document.body.innerText : ''`, &text, pageWithin)
			ff.t.Fatalf("%s: not within %v (%v); the page reads:\n%s", what, within, err, text)
		}
	}
}

// screenshot keeps the viewport as a test artefact.
func (ff *firefox) screenshot(name string) {
	ff.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	ff.call("browsingContext.captureScreenshot", map[string]any{"context": ff.context}, &r)
	shot, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		ff.t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil {
		ff.t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if cfg.Width != 1280 || cfg.Height != 720 {
		ff.t.Errorf("screenshot %dx%d, want 1280x720", cfg.Width, cfg.Height)
	}
	p := filepath.Join(ff.t.ArtifactDir(), name+".png")
	if err := os.WriteFile(p, shot, 0o644); err != nil {
		ff.t.Fatal(err)
	}
	ff.t.Logf("screenshot: %s", p)
}

// report is what the tab logged as an error, loaded and popped up, for
// browsertest.PageHealth. A marker logged last and waited for makes sure
// every entry before it arrived.
func (ff *firefox) report() (problems, requests, prompts []string) {
	ff.t.Helper()
	const marker = "dockertutor: end of the test"
	evalFF[bool](ff, `console.info(`+browsertest.JSString(marker)+`), true`)
	deadline := time.Now().Add(pageWithin)
	for {
		ff.mu.Lock()
		seen := slices.ContainsFunc(ff.logs, func(l bidiLog) bool { return l.Text == marker })
		ff.mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			ff.t.Fatal("the console's entries did not arrive")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ff.mu.Lock()
	defer ff.mu.Unlock()
	for _, l := range ff.logs {
		switch l.Level {
		case "error":
			problems = append(problems, l.Text)
		case "warn":
			ff.t.Logf("Firefox's console warns: %s", l.Text)
		}
	}
	return problems, slices.Clone(ff.requests), slices.Clone(ff.prompts)
}
