// Package browsertest is the one way the project's tests start a real
// browser, and the checks every page shown in one must pass. Whatever
// the browser asks for past loopback goes to a sink on loopback, so a
// test's browser never sends traffic off the machine. Only _test.go
// files import it.
package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// RequireChromiumEnv, set to 1, makes a missing Chromium a failure
// instead of a skip, as DOCKERTUTOR_REQUIRE_DOCKER does for the daemon:
// CI installs it.
const RequireChromiumEnv = "DOCKERTUTOR_REQUIRE_BROWSER"

// ChromiumPath finds Chromium in PATH. Without one it fails t under
// DOCKERTUTOR_REQUIRE_BROWSER=1, and otherwise returns "" for the caller
// to skip what needs it.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(RequireChromiumEnv) == "1" {
		t.Fatalf("chromium required (%s=1) but not found in PATH", RequireChromiumEnv)
	}
	return ""
}

// Sink is the proxy every browser of a test is given: it takes a
// connection, notes what it asked for, and closes it, so that a
// browser's own traffic (updates, remote settings) stays on this
// machine. The page's own server is on loopback, which browsers never
// proxy. It returns the sink's port on 127.0.0.1.
func Sink(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
		if len(asked) > 0 {
			t.Logf("the browser's own requests, kept on this machine: %s", strings.Join(asked, ", "))
		}
	})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			f := strings.Fields(line) // CONNECT host:443, or GET http://host/path
			if len(f) < 2 {
				continue
			}
			host := f[1]
			if u, err := url.Parse(host); err == nil && u.Host != "" {
				host = u.Host
			}
			if !slices.Contains(asked, host) {
				asked = append(asked, host)
			}
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// Chromium is one headless Chromium tab at a projector's 1280x720, with
// what it loaded, popped up and logged recorded.
type Chromium struct {
	// Tab is the tab's chromedp context. A query on it waits for its
	// element with no end: bound it, as Bounded does.
	Tab context.Context
	// actionWithin bounds one action once the browser runs.
	actionWithin time.Duration

	mu       sync.Mutex
	requests []string
	dialogs  []string
	console  []chromedp.ConsoleMessage
}

// StartChromium starts the browser at path, ended with ctx or t. Each
// action on the tab gets actionWithin; the start itself is bounded by
// ctx only, since a loaded machine stretches it well past one action.
func StartChromium(ctx context.Context, t testing.TB, path string, actionWithin time.Duration) *Chromium {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1280, 720),
		// Nothing leaves loopback: every other address goes to the sink,
		// and no host name resolves.
		chromedp.ProxyServer(fmt.Sprintf("http://127.0.0.1:%d", Sink(t))),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to run its sandbox as root (CI containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	c := &Chromium{Tab: tab, actionWithin: actionWithin}

	// The first call starts the browser: no short deadline on it.
	messages := chromedp.Console(tab)
	dialogs := make(chan struct{}, 8)
	err := chromedp.Listen(tab, func(ev any) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			c.requests = append(c.requests, ev.Request.URL)
		case *page.EventJavascriptDialogOpening:
			c.dialogs = append(c.dialogs, fmt.Sprintf("%s %q", ev.Type, ev.Message))
			select {
			case dialogs <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.console = append(c.console, m)
			c.mu.Unlock()
		}
	}()
	// A dialog blocks the page; dismiss it (it is recorded as a failure).
	go func() {
		for {
			select {
			case <-tab.Done():
				return
			case <-dialogs:
				chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}
	}()
	c.Do(t, chromedp.EmulateViewport(1280, 720))
	return c
}

// Bounded is the tab's context for one action: a query waits for its
// element, so a missing one would wait forever.
func (c *Chromium) Bounded() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Tab, c.actionWithin)
}

// Do runs actions on the tab, within one action's bound, or fails t.
func (c *Chromium) Do(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := c.Bounded()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// Run runs an action that answers on the tab, within one action's
// bound, or fails t.
func Run[T any](t testing.TB, c *Chromium, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := c.Bounded()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Eval evaluates a JavaScript expression in the tab and decodes its
// value, or fails t.
func Eval[T any](t testing.TB, c *Chromium, expr string) T {
	t.Helper()
	ctx, cancel := c.Bounded()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// WaitFor polls a JavaScript condition until it holds, for at most
// within, and returns how long it took; past within it fails t with
// what the page reads.
func (c *Chromium) WaitFor(t testing.TB, what, cond string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(c.Tab, within+c.actionWithin)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(within)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		t.Fatalf("%s: not within %v (%v); the page reads:\n%s", what, within, err, text)
	}
	return time.Since(start)
}

// Requests is every address the tab has requested so far.
func (c *Chromium) Requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.requests)
}

// Dialogs is every JavaScript dialog that opened in the tab so far.
func (c *Chromium) Dialogs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.dialogs)
}

// Report is what the tab logged as a problem (errors, warnings,
// exceptions), loaded and popped up, for PageHealth. A marker logged
// last and waited for makes sure every message before it arrived.
func (c *Chromium) Report(t testing.TB) (problems, requests, dialogs []string) {
	t.Helper()
	const marker = "dockertutor: end of the test"
	c.Do(t, chromedp.Evaluate[chromedp.Void](`console.debug(`+JSString(marker)+`)`))
	deadline := time.Now().Add(c.actionWithin)
	for {
		c.mu.Lock()
		seen := slices.ContainsFunc(c.console, func(m chromedp.ConsoleMessage) bool { return m.Text == marker })
		c.mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the console's messages did not arrive")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.mu.Lock()
	for _, m := range c.console {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
			problems = append(problems, m.String()+" ("+m.URL+")")
		}
	}
	c.mu.Unlock()
	return problems, c.Requests(), c.Dialogs()
}

// PageHealth is what every page a test opens must pass, in any browser:
// a quiet console, no JavaScript dialog, and nothing loaded from past
// its own server at origin (the recorder must have seen the page load).
func PageHealth(t testing.TB, origin string, problems, requests, dialogs []string) {
	t.Helper()
	for _, p := range problems {
		t.Errorf("the page's console: %s", p)
	}
	for _, d := range dialogs {
		t.Errorf("a JavaScript dialog opened: %s", d)
	}
	if len(requests) == 0 {
		t.Fatal("no request recorded: the recorder is broken")
	}
	for _, r := range requests {
		if !strings.HasPrefix(r, origin+"/") {
			t.Errorf("the page loaded %s, from past its server %s", r, origin)
		}
	}
}

// JSString quotes s as a JavaScript string literal, to put into an
// expression for the page.
func JSString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
