package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/adrg/xdg"
	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/classroom/grades"
	"github.com/dockertutor/dockertutor/classroom/room"
	"github.com/dockertutor/dockertutor/classroom/server"
	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/present"
)

// The instructor's side of a class: serving it, and reading the room and
// the grades from a terminal. (The learner's side, join and leave, is
// added beside these.)
func newClassCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "class",
		Short: "Run a class: serve it on the LAN, see the room, export grades",
		Long: "An instructor serves a class with `dockertutor class serve`; learners join it from their\n" +
			"tutor, which then reports how their steps go (never what they type, their files or\n" +
			"secrets). The dashboard shows the room live; status and export read it from a terminal.",
	}
	cmd.AddCommand(newClassServeCmd(g), newClassStatusCmd(g), newClassExportCmd(g), newClassJoinCmd(g), newClassLeaveCmd(g))
	return cmd
}

// instructorFile is where serve keeps the instructor's dashboard URL and
// token: the database holds only the token's hash.
type instructorFile struct {
	URL   string `json:"url"`
	Token string `json:"token"`
	Code  string `json:"code"`
	DB    string `json:"db"`
}

func instructorPath() string { return filepath.Join(stateDir(), "class-instructor.json") }

// dataDir is where the class database lives: $XDG_DATA_HOME/dockertutor,
// or the platform's application-data folder.
func dataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "dockertutor")
	}
	return filepath.Join(xdg.DataHome, "dockertutor")
}

func readInstructorFile() (instructorFile, error) {
	var f instructorFile
	data, err := os.ReadFile(instructorPath())
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("the instructor file %s cannot be read (%v): run `dockertutor class serve` again, which rewrites it (with --new-instructor-token if it does not show your link), or give --url and --token", instructorPath(), err)
	}
	return f, nil
}

func writeInstructorFile(f instructorFile) error {
	if err := os.MkdirAll(stateDir(), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp := instructorPath() + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, instructorPath())
}

func newClassServeCmd(g *globals) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the class: learners join it, the dashboard shows the room",
		Long: "Start the class server. The first run creates the class in its database (a class code\n" +
			"for learners, a token for your dashboard); later runs reopen it with everything kept.\n" +
			"It listens on this machine only (127.0.0.1:7070) unless --addr says otherwise: use\n" +
			"--addr 0.0.0.0:7070 to open it to the room, and give learners this machine's LAN address.\n" +
			"Ctrl+C stops it; nothing is lost.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runClassServe(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:7070", "address to listen on, HOST:PORT (0.0.0.0:7070 for the LAN)")
	f.StringVar(&o.db, "db", "", "the class database (default "+filepath.Join(dataDir(), "class.db")+")")
	f.StringVar(&o.title, "title", "", "the class's title, when the class is created (default the course's title)")
	f.BoolVar(&o.newToken, "new-instructor-token", false, "replace the instructor's token (the old dashboard link stops working)")
	return cmd
}

type serveOptions struct {
	addr, db, title string
	newToken        bool
}

func runClassServe(cmd *cobra.Command, g *globals, o serveOptions) error {
	course, err := g.loadCourse()
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return usageErrorf("--addr %q: want HOST:PORT, such as 127.0.0.1:7070 or 0.0.0.0:7070", o.addr)
	}
	if o.db == "" {
		o.db = filepath.Join(dataDir(), "class.db")
	}
	if o.db, err = filepath.Abs(o.db); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.db), 0o700); err != nil {
		return err
	}
	st, err := store.Open(o.db)
	if err != nil {
		return err
	}
	defer st.Close()

	ctx := cmd.Context()
	cls, err := st.Class(ctx)
	var token string
	switch {
	case errors.Is(err, store.ErrNoClass):
		if cls, token, err = server.CreateClass(ctx, st, course, o.title, time.Now()); err != nil {
			return err
		}
	case err != nil:
		return err
	case o.newToken:
		if token, err = server.NewInstructorToken(ctx, st); err != nil {
			return err
		}
	default:
		if f, err := readInstructorFile(); err == nil && f.DB == o.db && string(server.HashToken(f.Token)) == string(cls.InstructorHash) {
			token = f.Token
		}
	}
	if cls.Course != course.ID {
		return failed(fmt.Sprintf("the class in %s runs the course %q, not %q: serve it with that course (--course), or start a new class with another --db", o.db, cls.Course, course.ID))
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return failed(fmt.Sprintf("cannot listen on %s: %v", o.addr, err))
	}
	local, public := serveURLs(ln.Addr().(*net.TCPAddr))
	joinURL := public + "/join/" + cls.Code
	if token != "" {
		if err := writeInstructorFile(instructorFile{URL: local, Token: token, Code: cls.Code, DB: o.db}); err != nil {
			ln.Close()
			return fmt.Errorf("saving the instructor's link: %w", err)
		}
	}

	log := slog.New(slog.NewTextHandler(g.io.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(st, course, server.Options{JoinURL: joinURL, Log: log})
	if err != nil {
		ln.Close()
		return failed(err.Error())
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // the live stream extends its own
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(srv.Close)

	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Class %q (course %s), code %s\nDatabase: %s\n\n", cls.Title, cls.Course, cls.Code, o.db)
	fmt.Fprintf(w, "Learners join with:\n  dockertutor class join %s --name \"Your name\"\n\n", joinURL)
	if token != "" {
		fmt.Fprintf(w, "Your dashboard (keep this link to yourself):\n  %s/?token=%s\n  (saved in %s)\n\n", local, token, instructorPath())
	} else {
		fmt.Fprintf(w, "Your dashboard: %s\n  Its link with your token is not in %s any more; run\n  `dockertutor class serve --new-instructor-token` to make a new one (the old link stops working).\n\n", local, instructorPath())
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; ip.IsLoopback() {
		fmt.Fprintf(w, "Only this machine can reach the class. To open it to the room, serve with\n  --addr 0.0.0.0:%d\nand learners join at this machine's LAN address.\n\n", ln.Addr().(*net.TCPAddr).Port)
	}
	fmt.Fprintln(w, "Press Ctrl+C to stop; nothing is lost.")

	err = serveUntilSignal(ctx, hs, ln, "class server")
	srv.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Class server stopped; the class is saved in %s.\n", o.db)
	return nil
}

// serveURLs are the server's address for this machine (the instructor's
// dashboard) and for learners: a wildcard address is reached at a LAN
// address of this machine, when it has one.
func serveURLs(a *net.TCPAddr) (local, public string) {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		local = fmt.Sprintf("http://127.0.0.1:%d", a.Port)
		public = local
		if lan := lanAddress(); lan != "" {
			public = "http://" + net.JoinHostPort(lan, fmt.Sprint(a.Port))
		}
		return local, public
	}
	u := "http://" + net.JoinHostPort(host, fmt.Sprint(a.Port))
	return u, u
}

// lanAddress is this machine's first private IPv4 address, read from its
// interfaces (nothing is sent).
func lanAddress() string {
	for _, ip := range lanIPs() {
		if ip.IsPrivate() {
			return ip.String()
		}
	}
	return ""
}

// classClient reaches a class server as its instructor.
type classClient struct {
	url, token string
	http       *http.Client
}

func addClientFlags(cmd *cobra.Command, c *classClient) {
	cmd.Flags().StringVar(&c.url, "url", "", "the class server (default: the one `class serve` last saved in the instructor file)")
	cmd.Flags().StringVar(&c.token, "token", "", "the instructor's token (default $DOCKERTUTOR_CLASS_TOKEN, or the instructor file's)")
}

// resolve fills the server and token from the flags, the environment and
// the instructor file, in that order.
func (c *classClient) resolve() error {
	if c.token == "" {
		c.token = os.Getenv("DOCKERTUTOR_CLASS_TOKEN")
	}
	if c.url == "" || c.token == "" {
		f, err := readInstructorFile()
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if c.url == "" {
			c.url = f.URL
		}
		if c.token == "" {
			c.token = f.Token
		}
	}
	if c.url == "" || c.token == "" {
		return usageErrorf("which class? No instructor file at %s: run `dockertutor class serve` on this machine, or give --url and --token (or $DOCKERTUTOR_CLASS_TOKEN)", instructorPath())
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--url %q: want the server's address, such as http://127.0.0.1:7070", c.url)
	}
	c.url = strings.TrimRight(c.url, "/")
	c.http = &http.Client{Timeout: 30 * time.Second}
	return nil
}

// get fetches path as the instructor; an answer other than 200 is an
// error with the server's own words.
func (c *classClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.url+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, failed(fmt.Sprintf("no class server answers at %s: is `dockertutor class serve` running? (%v)", c.url, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var p wire.Problem
		if json.Unmarshal(body, &p) != nil || p.Error == "" {
			p.Error = resp.Status
		}
		return nil, failed("the class server says: " + p.Error)
	}
	return body, nil
}

func newClassStatusCmd(g *globals) *cobra.Command {
	var c classClient
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "The room in the terminal: each learner's step, progress and last check",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.resolve(); err != nil {
				return err
			}
			body, err := c.get(cmd.Context(), "/api/v1/room")
			if err != nil {
				return err
			}
			if asJSON {
				_, err := cmd.OutOrStdout().Write(body)
				return err
			}
			var r room.Room
			if err := json.Unmarshal(body, &r); err != nil || r.Format != room.Format {
				return failed(fmt.Sprintf("the class server at %s did not send a %s document", c.url, room.Format))
			}
			writeRoom(cmd.OutOrStdout(), r, g.plain || !g.io.Terminal)
			return nil
		},
	}
	addClientFlags(cmd, &c)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the room as JSON ("+room.Format+")")
	return cmd
}

// writeRoom prints the room as a table; words instead of glyphs in plain
// output.
func writeRoom(w io.Writer, r room.Room, plain bool) {
	r = terminalSafe(r)
	stuck := 0
	for _, l := range r.Learners {
		if l.Stuck {
			stuck++
		}
	}
	learners := "learners"
	if len(r.Learners) == 1 {
		learners = "learner"
	}
	fmt.Fprintf(w, "%s: %d %s, %d stuck (after %d min), code %s\n", r.Class.Title, len(r.Learners), learners, stuck, r.Class.StuckAfterSeconds/60, r.Class.Code)
	if r.Class.HoldTitle != "" {
		fmt.Fprintf(w, "Held after lesson: %s\n", r.Class.HoldTitle)
	}
	if r.Class.Message != "" {
		fmt.Fprintf(w, "Message: %s\n", r.Class.Message)
	}
	if len(r.Learners) == 0 {
		fmt.Fprintln(w, "No one has joined yet.")
		return
	}
	fmt.Fprintf(w, "\n%-20s %-30s %-7s %-8s %s\n", "NAME", "STEP", "PASSED", "ON STEP", "LAST CHECK")
	for _, l := range r.Learners {
		step, on := "not started", ""
		if l.Step != "" {
			step, on = l.StepNumber+" "+l.StepTitle, present.TimeOnStep(l.OnStepSeconds)
		}
		last := ""
		if l.Verdict != "" {
			m := present.StatusMark(progress.Status(l.Verdict))
			last = m.Prefix(plain) + strings.Join(l.Failing, "; ")
		}
		var tags []string
		for _, t := range []struct {
			on   bool
			word string
		}{{l.Stuck, "STUCK"}, {l.Waiting, "waiting"}, {l.Finished, "finished"}, {!l.Online, "offline"}} {
			if t.on {
				tags = append(tags, t.word)
			}
		}
		if len(tags) > 0 {
			last = strings.TrimSpace(last + "  [" + strings.Join(tags, ", ") + "]")
		}
		fmt.Fprintf(w, "%-20s %-30s %-7s %-8s %s\n", cut(l.Name, 20), cut(step, 30), fmt.Sprintf("%d/%d", l.Passed, l.Total), on, last)
	}
}

// terminalSafe is the room with its text made one printable line each:
// it comes from a server, and a name or a title with an escape sequence
// (a database edited by hand, a server that is not this one) must not
// reach the terminal as one.
func terminalSafe(r room.Room) room.Room {
	c := &r.Class
	for _, s := range []*string{&c.Title, &c.Code, &c.HoldTitle, &c.Message} {
		*s = wire.CleanMessage(*s)
	}
	learners := make([]room.LearnerView, len(r.Learners))
	for i, l := range r.Learners {
		for _, s := range []*string{&l.Name, &l.StepNumber, &l.StepTitle, &l.Verdict} {
			*s = wire.CleanMessage(*s)
		}
		failing := make([]string, len(l.Failing))
		for j, f := range l.Failing {
			failing[j] = wire.CleanMessage(f)
		}
		l.Failing = failing
		learners[i] = l
	}
	r.Learners = learners
	return r
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func newClassExportCmd(g *globals) *cobra.Command {
	var c classClient
	var format, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "The class's grades: one row per learner and step",
		Long: "Write the class's grades: one row (a test case in JUnit) per learner and step, with\n" +
			"whether it passed, when, the attempts, hints used, whether the solution was shown and\n" +
			"the time on the step.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch grades.Format(format) {
			case grades.CSV, grades.JSON, grades.JUnit:
			default:
				return usageErrorf("--format %q: csv, json or junit", format)
			}
			if err := c.resolve(); err != nil {
				return err
			}
			body, err := c.get(cmd.Context(), "/api/v1/export?format="+format)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(body)
				return err
			}
			return writeFileAtomically(out, body)
		},
	}
	addClientFlags(cmd, &c)
	cmd.Flags().StringVar(&format, "format", "csv", "csv, json or junit")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to this file instead of the standard output")
	return cmd
}
