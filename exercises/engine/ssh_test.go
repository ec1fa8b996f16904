package engine

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestSSHCommandLine(t *testing.T) {
	opts := []string{"-o", "ConnectTimeout=1", "-o", "BatchMode=yes", "-o", "LogLevel=VERBOSE", "-T"}
	cases := []struct {
		host string
		want []string // after the fixed options
	}{
		{"ssh://build.example", []string{"--", "build.example", "docker system dial-stdio"}},
		{"ssh://me@build.example", []string{"-l", "me", "--", "build.example", "docker system dial-stdio"}},
		{"ssh://me@build.example:2222", []string{"-l", "me", "-p", "2222", "--", "build.example", "docker system dial-stdio"}},
		{"ssh://root@127.0.0.1:22", []string{"-l", "root", "-p", "22", "--", "127.0.0.1", "docker system dial-stdio"}},
		{"ssh://[::1]:2222", []string{"-p", "2222", "--", "::1", "docker system dial-stdio"}},
		{"ssh://me@[fe80::1%25eth0]", []string{"-l", "me", "--", "fe80::1%eth0", "docker system dial-stdio"}},
		{"ssh://first.last%40corp.example@build.example", []string{"-l", "first.last@corp.example", "--", "build.example", "docker system dial-stdio"}},
		// A Host alias from ~/.ssh/config is passed on for ssh to expand.
		{"ssh://classroom_vm", []string{"--", "classroom_vm", "docker system dial-stdio"}},
		// A bare "/" is no path; a path names the remote socket (CLI 28),
		// quoted for the remote shell when it needs it.
		{"ssh://me@build.example/", []string{"-l", "me", "--", "build.example", "docker system dial-stdio"}},
		{"ssh://me@build.example/run/user/1000/docker.sock", []string{"-l", "me", "--", "build.example", "docker --host=unix:///run/user/1000/docker.sock system dial-stdio"}},
		{"ssh://me@build.example/tmp/my%20docker's.sock", []string{"-l", "me", "--", "build.example", `docker '--host=unix:///tmp/my docker'\''s.sock' system dial-stdio`}},
		{"ssh://me@build.example/tmp/$(reboot).sock", []string{"-l", "me", "--", "build.example", `docker '--host=unix:///tmp/$(reboot).sock' system dial-stdio`}},
	}
	for _, c := range cases {
		target, err := parseSSHHost(c.host)
		if err != nil {
			t.Errorf("%s: %v", c.host, err)
			continue
		}
		if got, want := target.args(), append(slices.Clone(opts), c.want...); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", c.host, got, want)
		}
	}
}

func TestSSHAddressErrors(t *testing.T) {
	cases := map[string]string{
		"ssh://":                                 "no host name",
		"ssh://me@":                              "no host name",
		"ssh://me:secret@build.example":          "password in the address is not supported",
		"ssh://build.example:22x":                "not a valid ssh:// address",
		"ssh://build.example:0":                  `invalid port "0"`,
		"ssh://build.example:70000":              `invalid port "70000"`,
		"ssh://build.example?x=1":                `query parameters are not allowed: "x=1"`,
		"ssh://build.example#frag":               `fragments are not allowed: "frag"`,
		"ssh://-oProxyCommand=reboot":            "starts with '-'",
		"ssh://-oProxyCommand=reboot@build.host": "starts with '-'",
		"ssh://@build.example":                   "user name before @ is empty",
		"ssh://bad%0Auser@build.example":         "control character",
		"ssh://build.example/run/x%0A.sock":      "control character",
		"ssh://build.example/%00":                "control character",
		"ssh://build$example":                    `has '$'`,
		"ssh://build;reboot":                     `has ';'`,
		"ssh://[::1":                             "not a valid ssh:// address",
		"ssh:build.example":                      "not an ssh://",
	}
	for host, want := range cases {
		_, err := parseSSHHost(host)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", host, err, want)
		}
		// Resolution reports the same, as the CLI does before dialling.
		env := Environ{Getenv: func(k string) string {
			if k == "DOCKER_HOST" {
				return host
			}
			return ""
		}, Home: t.TempDir(), GOOS: Linux}
		if _, err := ResolveIn(env); Classify(err) != ClassConfig {
			t.Errorf("%s: ResolveIn error %v, want a config error", host, err)
		}
	}
}

func TestSSHEndpointsHaveNoTLS(t *testing.T) {
	m := newMachine(t)
	certs := writeCertDir(t, "ca.pem", "cert.pem", "key.pem")
	env := m.env(Linux)
	vars := map[string]string{"DOCKER_HOST": "ssh://me@build.example", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certs}
	env.Getenv = func(k string) string { return vars[k] }
	ep := mustResolve(t, env)
	if ep.TLS != nil {
		t.Errorf("DOCKER_HOST=ssh:// got TLS %+v; ssh carries its own encryption", ep.TLS)
	}
	m.writeContext(t, "remote", "ssh://me@build.example", true, "ca.pem")
	env = m.env(Linux)
	vars = map[string]string{"DOCKER_CONTEXT": "remote"}
	env.Getenv = func(k string) string { return vars[k] }
	if ep := mustResolve(t, env); ep.Host != "ssh://me@build.example" || ep.TLS != nil {
		t.Errorf("ssh context resolved to %+v", ep)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"docker":                     "docker",
		"--host=unix:///a/b.sock":    "--host=unix:///a/b.sock",
		"":                           "''",
		"a b":                        "'a b'",
		"it's":                       `'it'\''s'`,
		"$HOME":                      "'$HOME'",
		"`x`":                        "'`x`'",
		"ü":                          "'ü'",
		"docker system dial-stdio":   "'docker system dial-stdio'",
		"/run/user/1000/docker.sock": "/run/user/1000/docker.sock",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
		// What sh makes of it must be the input again.
		if in == "" {
			continue
		}
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(in)).Output()
		if err == nil && string(out) != in {
			t.Errorf("sh read %s as %q, want %q", shellQuote(in), out, in)
		}
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	b := &tailBuffer{max: 64}
	for i := range 100 {
		fmt.Fprintf(b, "debug line %d\n", i)
	}
	b.Write([]byte("Permission denied (publickey).\n"))
	s := b.String()
	if len(s) > 64 || !strings.HasSuffix(s, "Permission denied (publickey).\n") || !strings.HasPrefix(s, "debug line") {
		t.Errorf("kept %q", s)
	}
	if cap(b.buf) > 64+64 {
		t.Errorf("buffer grew to %d", cap(b.buf))
	}
}

// sshFailure is an ssh run that ended as real ones do.
func sshFailure(host string, exit int, stderr string) *sshError {
	target, err := parseSSHHost(host)
	if err != nil {
		panic(err)
	}
	return &sshError{target: target, Args: append([]string{"ssh"}, target.args()...), ExitCode: exit, Stderr: stderr}
}

func TestSSHFailuresAreClassifiedAndExplained(t *testing.T) {
	const host = "ssh://me@build.example:2222"
	cases := []struct {
		name    string
		err     error
		goos    string
		class   Class
		message string   // part of the message
		fixes   []string // parts of the fixes' commands, in order
	}{
		{"no ssh program", &sshError{target: sshTarget{User: "me", Host: "build.example"}, StartErr: &exec.Error{Name: "ssh", Err: exec.ErrNotFound}}, Windows,
			ClassSSH, "this machine has none", []string{"Add-WindowsCapability -Online -Name OpenSSH.Client"}},
		{"name does not resolve", sshFailure(host, 255, "ssh: Could not resolve hostname build.example: Name or service not known\r\n"), Linux,
			ClassNetwork, "cannot find the host build.example", []string{"ssh -G build.example"}},
		{"macOS name does not resolve", sshFailure(host, 255, "ssh: Could not resolve hostname build.example: nodename nor servname provided, or not known\n"), Darwin,
			ClassNetwork, "does not resolve", nil},
		{"no route", sshFailure(host, 255, "ssh: connect to host build.example port 2222: No route to host\n"), Linux,
			ClassNetwork, "no route", []string{"ssh -o BatchMode=yes -p 2222 me@build.example docker version"}},
		{"refused", sshFailure(host, 255, "ssh: connect to host build.example port 2222: Connection refused\n"), Linux,
			ClassDaemonDown, "Nothing accepts ssh connections at me@build.example:2222", []string{"ssh -G build.example", "sudo systemctl start ssh"}},
		{"connect timed out", sshFailure(host, 255, "ssh: connect to host build.example port 2222: Connection timed out\n"), Linux,
			ClassTimeout, "did not answer ssh within 1s", []string{"ssh -o ConnectTimeout=10 -p 2222 me@build.example exit"}},
		{"banner timed out", sshFailure(host, 255, "Connection timed out during banner exchange\nConnection to UNKNOWN port 65535 timed out\n"), Linux,
			ClassTimeout, "did not answer ssh", nil},
		{"turned away", sshFailure(host, 255, "kex_exchange_identification: read: Connection reset by peer\nConnection reset by 10.0.0.5 port 2222\n"), Linux,
			ClassSSH, "turned this client away", []string{"ssh -v -o BatchMode=yes -p 2222 me@build.example exit"}},
		{"no key accepted", sshFailure(host, 255, "me@build.example: Permission denied (publickey).\n"), Linux,
			ClassSSH, "could not log in to me@build.example:2222 as me", []string{"ssh -o BatchMode=yes -p 2222 me@build.example docker version", "ssh-add", "ssh-copy-id -p 2222 me@build.example", "ssh-keygen -t ed25519"}},
		{"no key accepted, Windows", sshFailure(host, 255, "me@build.example: Permission denied (publickey,password).\n"), Windows,
			ClassSSH, "none of your keys", []string{"ssh-add", `type $env:USERPROFILE\.ssh\id_ed25519.pub | ssh -p 2222 me@build.example "cat >> ~/.ssh/authorized_keys"`}},
		{"too many keys", sshFailure(host, 255, "Received disconnect from 10.0.0.5 port 2222:2: Too many authentication failures\n"), Linux,
			ClassSSH, "none of your keys", nil},
		{"host key unknown", sshFailure(host, 255, "No ED25519 host key is known for [build.example]:2222 and you have requested strict checking.\nHost key verification failed.\n"), Linux,
			ClassSSH, "does not know the host key", []string{"ssh -p 2222 me@build.example exit"}},
		{"host key changed", sshFailure(host, 255, strings.Repeat("@", 59)+"\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"+strings.Repeat("@", 59)+"\nIT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\nHost key for [build.example]:2222 has changed and you have requested strict checking.\nHost key verification failed.\n"), Linux,
			ClassSSH, "has changed", []string{`ssh-keygen -R "[build.example]:2222"`, "ssh -p 2222 me@build.example exit"}},
		{"broken ssh config", sshFailure(host, 255, "/home/me/.ssh/config: line 3: Bad configuration option: identityfil\n/home/me/.ssh/config: terminating, 1 bad configuration options\n"), Linux,
			ClassSSH, "Bad configuration option: identityfil", []string{"ssh -G build.example"}},
		{"docker missing (bash)", sshFailure(host, 127, "bash: line 1: docker: command not found\n"), Linux,
			ClassSSH, "no docker command there", []string{"ssh -p 2222 me@build.example 'command -v docker'"}},
		{"docker missing (dash)", sshFailure(host, 127, "sh: 1: docker: not found\n"), Linux,
			ClassSSH, "no docker command there", nil},
		{"docker too old", sshFailure(host, 1, "docker: 'system dial-stdio' is not a docker command.\nSee 'docker --help'\n"), Linux,
			ClassAPITooOld, "lacks `docker system dial-stdio`", nil},
		{"remote daemon down", sshFailure(host, 1, "failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: connection refused\n"), Linux,
			ClassDaemonDown, "the Docker daemon there is not running", []string{"ssh -t -p 2222 me@build.example 'sudo systemctl start docker'", "export DOCKER_HOST=ssh://me@build.example:2222/PATH/TO/docker.sock"}},
		{"remote socket missing", sshFailure(host, 1, "failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: no such file or directory\n"), Linux,
			ClassNoSocket, "not running or not at the socket", nil},
		{"remote socket forbidden", sshFailure(host, 1, "failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: permission denied\n"), Linux,
			ClassPermission, "me may not use the Docker socket there", []string{"'sudo usermod -aG docker $USER'"}},
		{"something else", sshFailure(host, 255, "mux_client_request_session: read from master failed: Broken pipe\n"), Linux,
			ClassSSH, "ssh to me@build.example:2222 failed: mux_client_request_session", []string{"ssh -v -o BatchMode=yes -p 2222 me@build.example docker version"}},
		{"timeout while logging in, ssh silent", &ConnectError{Endpoint: Endpoint{Host: host, Origin: FromDockerHost, Context: "default"}, Class: ClassTimeout, Err: errors.New("the daemon did not answer in time")}, Linux,
			ClassTimeout, "did not answer over ssh within 2s", []string{"ssh -o BatchMode=yes -p 2222 me@build.example docker version"}},
	}
	ep := Endpoint{Host: host, Origin: FromDockerHost, Context: "default"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Classify(c.err); got != c.class {
				t.Errorf("class %s, want %s", got, c.class)
			}
			p := Explain(ep, c.err)
			if p.Class != c.class || !strings.Contains(p.Message, c.message) {
				t.Errorf("problem %s %q, want %s saying %q", p.Class, p.Message, c.class, c.message)
			}
			for _, goos := range allOS {
				if len(p.Fixes[goos]) == 0 {
					t.Errorf("no fixes for %s", goos)
				}
			}
			got := commands(p.Fixes[c.goos])
			at := 0
			for _, f := range c.fixes {
				i := strings.Index(got[at:], f)
				if i < 0 {
					t.Errorf("fixes for %s lack %q (in this order):\n%s", c.goos, f, got)
					break
				}
				at += i + len(f)
			}
			if !strings.Contains(got, "unset DOCKER_HOST") && c.goos != Windows {
				t.Errorf("fixes should offer to undo DOCKER_HOST:\n%s", got)
			}
			if p.Detail == "" {
				t.Error("no detail")
			}
		})
	}
}

// The detail is the command a learner can run again and ssh's last words,
// without the banner art of a changed host key.
func TestSSHErrorText(t *testing.T) {
	e := sshFailure("ssh://me@build.example:2222", 255, "Warning: Permanently added 'x' (ED25519) to the list of known hosts.\r\n"+strings.Repeat("@", 20)+"\nme@build.example: Permission denied (publickey).\n")
	want := "ssh -o ConnectTimeout=1 -o BatchMode=yes -o LogLevel=VERBOSE -T -l me -p 2222 -- build.example 'docker system dial-stdio' exited with status 255: me@build.example: Permission denied (publickey)."
	if e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}
	e = sshFailure("ssh://h", 255, "")
	if !strings.HasSuffix(e.Error(), "exited with status 255 and printed nothing") {
		t.Errorf("got %s", e.Error())
	}
	e.Stopped, e.ExitCode = true, -1
	if !strings.HasSuffix(e.Error(), "was stopped before it finished") || e.symptom() != sshSlow {
		t.Errorf("a silent stopped ssh: %s, symptom %v", e.Error(), e.symptom())
	}
}

// A context whose endpoint is ssh:// gets its fix as a context update.
func TestSSHSocketFixFollowsTheContext(t *testing.T) {
	ep := Endpoint{Host: "ssh://me@build.example", Origin: FromConfigFile, Context: "classroom"}
	p := Explain(ep, sshFailure(ep.Host, 1, "failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: connection refused"))
	got := commands(p.Fixes[Linux])
	if !strings.Contains(got, `docker context update classroom --docker "host=ssh://me@build.example/PATH/TO/docker.sock"`) ||
		!strings.Contains(got, "docker context use default") {
		t.Errorf("fixes:\n%s", got)
	}
}
