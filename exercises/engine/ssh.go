package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// An ssh:// endpoint is reached the way the docker CLI reaches it
// (cli/connhelper): every connection is its own run of the system's ssh
// program, `ssh [-l user] [-p port] -- host docker system dial-stdio`,
// whose stdin and stdout carry the Engine API to the remote daemon. Running
// the system ssh is what makes ~/.ssh/config, ssh-agent and known_hosts
// apply exactly as they do for the CLI.

// sshHTTPHost is the host the API requests name when they travel through
// ssh; nothing resolves it. The CLI uses the same placeholder.
const sshHTTPHost = "http://docker.example.com"

// sshConnectTimeout is ssh's own limit, in whole seconds, for the TCP
// connection and the server's greeting. The CLI allows 30; one second
// fires inside Connect's PingTimeout, so a host that drops packets or a
// port that accepts and never speaks ends in ssh's own words ("Connection
// timed out") rather than in a bare deadline.
const sshConnectTimeout = "1"

const (
	// sshStderrMax bounds the ssh output kept per connection: its tail,
	// where ssh says why it stopped.
	sshStderrMax = 8 << 10
	// sshExitWait is how long a read that met the end of ssh's output
	// waits for ssh to exit and say why.
	sshExitWait = time.Second
	// sshTermGrace is how long Close lets ssh end after SIGTERM before it
	// is killed.
	sshTermGrace = 500 * time.Millisecond
	// sshIdleTimeout ends idle ssh processes kept for reuse.
	sshIdleTimeout = 90 * time.Second
	// sshAnswerTimeout bounds Connect's ping once ssh has logged in: the
	// remote login shell and docker start there, which a busy host or a
	// ~/.bashrc that runs pyenv or nvm can make take seconds. Reaching the
	// host and logging in stay within PingTimeout.
	sshAnswerTimeout = 10 * time.Second
)

// sshLoggedIn is the line ssh writes at LogLevel VERBOSE once the host has
// let it in.
var sshLoggedIn = []byte("Authenticated to ")

// sshTarget is what an ssh:// address says: whom to log in as, where, and
// which remote socket to use (empty: the remote docker's own default).
type sshTarget struct {
	User   string
	Host   string
	Port   string
	Socket string
}

// parseSSHHost checks an ssh:// address as the docker CLI does
// (cli/connhelper/ssh): no password, query or fragment, a host name, and a
// path that names the remote socket. It is stricter where the CLI would
// only fail later inside ssh: the port must be a number from 1 to 65535 and
// neither user nor host may start with "-" or hold control characters.
func parseSSHHost(raw string) (sshTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return sshTarget{}, fmt.Errorf("not a valid ssh:// address: %w", err)
	}
	if u.Scheme != "ssh" || u.Opaque != "" {
		return sshTarget{}, errors.New("not an ssh://[USER@]HOST[:PORT] address")
	}
	var t sshTarget
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return sshTarget{}, errors.New("a password in the address is not supported: log in with an ssh key (ssh-agent or ~/.ssh/config)")
		}
		t.User = u.User.Username()
		if t.User == "" {
			return sshTarget{}, errors.New("the user name before @ is empty")
		}
		if err := checkSSHWord("user name", t.User); err != nil {
			return sshTarget{}, err
		}
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return sshTarget{}, errors.New("no host name: use ssh://USER@HOST")
	}
	if err := checkSSHWord("host name", t.Host); err != nil {
		return sshTarget{}, err
	}
	for _, r := range t.Host {
		if !(r < utf8.RuneSelf && (r == '.' || r == '-' || r == '_' || r == ':' || r == '%' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')) {
			return sshTarget{}, fmt.Errorf("host name %q has %q, which no host name has", t.Host, r)
		}
	}
	t.Port = u.Port()
	if t.Port != "" {
		if p, err := strconv.Atoi(t.Port); err != nil || p < 1 || p > 65535 {
			return sshTarget{}, fmt.Errorf("invalid port %q: use a number from 1 to 65535", t.Port)
		}
	}
	if u.RawQuery != "" || u.ForceQuery {
		return sshTarget{}, fmt.Errorf("query parameters are not allowed: %q", u.RawQuery)
	}
	if u.Fragment != "" {
		return sshTarget{}, fmt.Errorf("fragments are not allowed: %q", u.Fragment)
	}
	// ssh://host/run/docker.sock names the remote socket (CLI 28); a bare
	// "/" does not.
	if strings.Trim(u.Path, "/") != "" {
		if strings.ContainsFunc(u.Path, isControl) {
			return sshTarget{}, fmt.Errorf("the socket path %q has a control character", u.Path)
		}
		t.Socket = u.Path
	}
	return t, nil
}

// checkSSHWord refuses what ssh would read as an option or cannot pass on.
func checkSSHWord(what, s string) error {
	if strings.HasPrefix(s, "-") {
		return fmt.Errorf("%s %q starts with '-', which ssh would read as an option", what, s)
	}
	if strings.ContainsFunc(s, isControl) || !utf8.ValidString(s) {
		return fmt.Errorf("%s %q has a control character", what, s)
	}
	return nil
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// args is the ssh command line without "ssh" itself.
//
// BatchMode=yes: ssh must never stop to ask for a password, a key's
// passphrase or whether to trust a new host key. The tutor owns the
// terminal, so a prompt would garble the screen or wait unseen until the
// ping's deadline; with BatchMode ssh fails at once and says why, which
// Explain turns into the step to take (ssh-add, ssh-copy-id, one ssh in a
// terminal). Options given on the command line beat ~/.ssh/config, so a
// config cannot turn prompts back on.
//
// LogLevel=VERBOSE: ssh then says "Authenticated to ..." once logged in,
// which tells a host that is slow to answer from one that cannot be
// reached (sshAnswerTimeout). It writes to stderr only, which is kept.
//
// -T: no terminal on the remote side, which would mangle the byte stream.
func (t sshTarget) args() []string {
	args := []string{"-o", "ConnectTimeout=" + sshConnectTimeout, "-o", "BatchMode=yes", "-o", "LogLevel=VERBOSE", "-T"}
	if t.User != "" {
		args = append(args, "-l", t.User)
	}
	if t.Port != "" {
		args = append(args, "-p", t.Port)
	}
	// "--" ends the options: a host can never be read as one.
	return append(args, "--", t.Host, t.remoteCommand())
}

// remoteCommand is run by the remote user's shell, so the socket path is
// quoted for it.
func (t sshTarget) remoteCommand() string {
	if t.Socket == "" {
		return "docker system dial-stdio"
	}
	return "docker " + shellQuote("--host=unix://"+t.Socket) + " system dial-stdio"
}

// shellQuote quotes s for a POSIX shell, leaving plain words as they are.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			strings.ContainsRune("_@%+=:,./-", r)))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// display is the target as ssh users write it: user@host:port.
func (t sshTarget) display() string {
	host := t.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if t.Port != "" {
		host += ":" + t.Port
	}
	if t.User != "" {
		host = t.User + "@" + host
	}
	return host
}

// login is the plain ssh command that logs in to the target, for fixes.
func (t sshTarget) login(opts ...string) string {
	parts := append([]string{"ssh"}, opts...)
	if t.Port != "" {
		parts = append(parts, "-p", t.Port)
	}
	dest := t.Host
	if t.User != "" {
		dest = t.User + "@" + dest
	}
	return strings.Join(append(parts, dest), " ")
}

// knownHostsName is how known_hosts names the target.
func (t sshTarget) knownHostsName() string {
	if t.Port == "" || t.Port == "22" {
		return t.Host
	}
	return "[" + t.Host + "]:" + t.Port
}

// dialSSH starts ssh for t and returns the connection over its stdin and
// stdout. The process is not tied to ctx: the HTTP transport keeps the
// connection beyond the request that dialled it, and ends it (and the
// process) with Close.
func dialSSH(ctx context.Context, t sshTarget) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	args := t.args()
	prog, err := exec.LookPath("ssh")
	if err != nil {
		return nil, &sshError{target: t, Args: append([]string{"ssh"}, args...), StartErr: err}
	}
	cmd := exec.Command(prog, args...)
	cmd.Args[0] = "ssh" // as the learner would type it, in errors
	detachSSH(cmd)
	// Pipes of our own, not StdoutPipe: Wait closes those as soon as ssh
	// exits, which would lose its last bytes and race with Read.
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	stderr := &tailBuffer{max: sshStderrMax, watch: sshLoggedIn}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, stderr
	// A ProxyCommand child that outlives ssh could hold stderr open.
	cmd.WaitDelay = sshTermGrace
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, &sshError{target: t, Args: cmd.Args, StartErr: err}
	}
	c := &sshConn{target: t, cmd: cmd, stdin: inW, stdout: outR, stderr: stderr,
		exited: make(chan struct{}), closing: make(chan struct{})}
	// Always waiting means ssh is reaped whenever it ends: no zombies.
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// sshConn is a connection through one ssh process.
type sshConn struct {
	target sshTarget
	cmd    *exec.Cmd
	stdin  *os.File // our end of ssh's stdin
	stdout *os.File // our end of ssh's stdout
	stderr *tailBuffer

	exited  chan struct{} // closed once ssh has been reaped
	waitErr error         // set before exited is closed

	closing   chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	stopped   bool // Close ended a running ssh
}

func (c *sshConn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if err == io.EOF {
		return n, c.explainEnd(err)
	}
	return n, err
}

func (c *sshConn) Write(p []byte) (int, error) {
	n, err := c.stdin.Write(p)
	if err != nil && !errors.Is(err, os.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
		return n, c.explainEnd(err)
	}
	return n, err
}

// explainEnd replaces the end of the stream with ssh's reason, once ssh
// has exited, when it failed.
func (c *sshConn) explainEnd(err error) error {
	select {
	case <-c.exited:
	case <-c.closing:
		return err
	case <-time.After(sshExitWait):
		return err
	}
	if f := c.failure(); f != nil {
		return f
	}
	return err
}

// CloseWrite ends ssh's input; the remote side sees the end of the
// request stream and the daemon's answer can still be read.
func (c *sshConn) CloseWrite() error { return c.stdin.Close() }

// CloseRead stops reading ssh's output.
func (c *sshConn) CloseRead() error { return c.stdout.Close() }

// Close ends the ssh process (SIGTERM to its process group, SIGKILL after
// sshTermGrace) and returns once it has been reaped.
func (c *sshConn) Close() error {
	c.end(true)
	return nil
}

// abort kills ssh at once: for connections a failed ping leaves behind,
// where a grace period would overrun PingTimeout.
func (c *sshConn) abort() { c.end(false) }

func (c *sshConn) end(graceful bool) {
	c.closeOnce.Do(func() {
		close(c.closing)
		c.stdin.Close()
		c.stdout.Close()
	})
	select {
	case <-c.exited:
		return
	default:
	}
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	if graceful {
		stopSSH(c.cmd.Process, false)
		select {
		case <-c.exited:
			return
		case <-time.After(sshTermGrace):
		}
	}
	stopSSH(c.cmd.Process, true)
	<-c.exited
}

// loggedIn reports whether ssh has logged in to the host.
func (c *sshConn) loggedIn() bool { return c.stderr.saw() }

func (c *sshConn) LocalAddr() net.Addr  { return sshAddr("ssh client") }
func (c *sshConn) RemoteAddr() net.Addr { return sshAddr(c.target.display()) }

// Deadlines apply where the platform's pipes support them (not Windows',
// where they are ignored, as the CLI ignores them everywhere).
func (c *sshConn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

func (c *sshConn) SetReadDeadline(t time.Time) error {
	return ignoreNoDeadline(c.stdout.SetReadDeadline(t))
}

func (c *sshConn) SetWriteDeadline(t time.Time) error {
	return ignoreNoDeadline(c.stdin.SetWriteDeadline(t))
}

func ignoreNoDeadline(err error) error {
	if errors.Is(err, os.ErrNoDeadline) {
		return nil
	}
	return err
}

type sshAddr string

func (a sshAddr) Network() string { return "ssh" }
func (a sshAddr) String() string  { return string(a) }

// failure is ssh's exit as an error, or nil while it runs or when it
// exited cleanly.
func (c *sshConn) failure() *sshError {
	select {
	case <-c.exited:
	default:
		return nil
	}
	st := c.cmd.ProcessState
	if st != nil && st.Success() {
		return nil
	}
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	e := &sshError{target: c.target, Args: c.cmd.Args, ExitCode: -1, Stopped: stopped, Stderr: c.stderr.String()}
	if st != nil {
		e.ExitCode = st.ExitCode()
	} else {
		e.StartErr = c.waitErr
	}
	return e
}

// sshError is an ssh connection that ended before Docker answered: ssh's
// exit and the tail of what it (and the remote command) wrote to stderr.
type sshError struct {
	target sshTarget
	Args   []string
	// ExitCode is ssh's exit status: 255 for ssh's own errors, otherwise
	// the remote command's; -1 when a signal ended it.
	ExitCode int
	// Stopped is set when Close ended ssh while it still ran (a deadline).
	Stopped bool
	Stderr  string
	// StartErr is set when ssh could not be started at all.
	StartErr error
}

func (e *sshError) Error() string {
	if e.StartErr != nil {
		return "cannot run ssh: " + e.StartErr.Error()
	}
	var b strings.Builder
	for i, a := range e.Args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	switch {
	case e.Stopped:
		b.WriteString(" was stopped before it finished")
	case e.ExitCode < 0:
		b.WriteString(" was killed by a signal")
	default:
		fmt.Fprintf(&b, " exited with status %d", e.ExitCode)
	}
	if s := e.said(); s != "" {
		b.WriteString(": " + s)
	} else if !e.Stopped {
		b.WriteString(" and printed nothing")
	}
	return b.String()
}

func (e *sshError) Unwrap() error { return e.StartErr }

// said is the last lines of stderr worth showing, on one line.
func (e *sshError) said() string {
	var keep []string
	for _, l := range strings.Split(e.Stderr, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.Trim(l, "@") == "" || strings.HasPrefix(l, "Warning: Permanently added") ||
			strings.HasPrefix(l, "Transferred: ") || strings.HasPrefix(l, "Bytes per second: ") {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) > 3 {
		keep = keep[len(keep)-3:]
	}
	return strings.Join(keep, " / ")
}

// sshSymptom is what went wrong on an ssh connection.
type sshSymptom int

const (
	sshOther          sshSymptom = iota
	sshNoClient                  // no ssh program here
	sshNameUnknown               // the host name does not resolve
	sshUnreachable               // no route to the host
	sshRefused                   // nothing listens on the ssh port
	sshTimedOut                  // no answer in time
	sshTurnedAway                // the server closed the connection before login
	sshAuth                      // no key was accepted
	sshHostKeyUnknown            // the host key is not in known_hosts
	sshHostKeyChanged            // the host key differs from known_hosts
	sshConfigError               // ssh's configuration is broken
	sshNoRemoteDocker            // logged in; no docker command there
	sshRemoteTooOld              // logged in; docker there has no dial-stdio
	sshRemoteDocker              // logged in; docker there failed (its message says why)
	sshSlow                      // stopped at the deadline, logged in or not
)

func (e *sshError) symptom() sshSymptom {
	if e.StartErr != nil {
		if errors.Is(e.StartErr, exec.ErrNotFound) || errors.Is(e.StartErr, fs.ErrNotExist) {
			return sshNoClient
		}
		return sshOther
	}
	low := strings.ToLower(e.Stderr)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(low, s) {
				return true
			}
		}
		return false
	}
	// 255 is ssh's own failure; a signal means it was ended mid-way. Any
	// other status is the remote command's.
	if e.ExitCode == 255 || e.ExitCode < 0 {
		switch {
		case has("could not resolve hostname"):
			return sshNameUnknown
		case has("no route to host", "network is unreachable", "host is unreachable"):
			return sshUnreachable
		case has("connection refused"):
			return sshRefused
		case has("timed out"):
			return sshTimedOut
		case has("remote host identification has changed", "has changed and you have requested strict checking"):
			return sshHostKeyChanged
		case has("host key verification failed", "host key is known for"):
			return sshHostKeyUnknown
		case has("permission denied (", "too many authentication failures", "no more authentication methods", "authentication failed"):
			return sshAuth
		case has("bad configuration option", "can't open user config file", "no argument after keyword", "unsupported option", "garbage at end of line"):
			return sshConfigError
		case has("connection closed by", "connection reset", "kex_exchange_identification", "banner exchange"):
			return sshTurnedAway
		}
		if e.Stopped {
			return sshSlow
		}
		return sshOther
	}
	switch {
	case has("dial-stdio") && has("is not a docker command", "unknown command"):
		return sshRemoteTooOld
	case e.ExitCode == 127, has("command not found", "docker: not found", "unknown command: docker", "is not recognized as"):
		return sshNoRemoteDocker
	}
	return sshRemoteDocker
}

// class names the failure in the package's terms: network-level trouble
// and the remote daemon's own errors share the classes of other endpoints;
// the rest is ClassSSH.
func (e *sshError) class() Class {
	switch e.symptom() {
	case sshNameUnknown, sshUnreachable:
		return ClassNetwork
	case sshRefused:
		return ClassDaemonDown
	case sshTimedOut, sshSlow:
		return ClassTimeout
	case sshRemoteTooOld:
		return ClassAPITooOld
	case sshRemoteDocker:
		if c := Classify(errors.New(e.Stderr)); c != ClassUnknown {
			return c
		}
	}
	return ClassSSH
}

// loggedIn reports whether ssh got as far as logging in.
func (e *sshError) loggedIn() bool { return strings.Contains(e.Stderr, string(sshLoggedIn)) }

// tailBuffer keeps the last max bytes written to it, and remembers
// whether watch was ever among them.
type tailBuffer struct {
	mu      sync.Mutex
	buf     []byte
	max     int
	dropped bool
	watch   []byte
	seen    bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	// Looking in the kept text, not just p, finds a line split over two
	// writes.
	if len(b.watch) > 0 && !b.seen && bytes.Contains(b.buf, b.watch) {
		b.seen = true
	}
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = b.buf[:copy(b.buf, b.buf[over:])]
		b.dropped = true
	}
	return len(p), nil
}

func (b *tailBuffer) saw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen
}

// String returns the kept text; after a cut it starts at a whole line.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := string(b.buf)
	if b.dropped {
		if _, rest, ok := strings.Cut(s, "\n"); ok {
			s = rest
		}
	}
	return s
}
