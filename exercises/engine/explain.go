package engine

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
)

// The operating systems fixes are written for: the keys of Problem.Fixes.
const (
	Linux   = "linux"
	Darwin  = "darwin"
	Windows = "windows"
)

var allOS = []string{Linux, Darwin, Windows}

// Severity says whether a problem stops the tutor.
type Severity string

const (
	SeverityError   Severity = "error"   // the exercises cannot run
	SeverityWarning Severity = "warning" // they run, but something is off
)

// Problem is one thing the doctor found, in a learner's words, with what
// to do about it on each OS.
type Problem struct {
	Class    Class    `json:"class"`
	Severity Severity `json:"severity"`
	// Message is one or two short sentences for the learner.
	Message string `json:"message"`
	// Detail is the underlying error, for the curious and for bug reports.
	Detail string `json:"detail,omitempty"`
	// Fixes maps "linux", "darwin" and "windows" to steps, most likely
	// first.
	Fixes map[string][]Fix `json:"fixes,omitempty"`
}

// Fix is one step: what to do, and the command to type if there is one
// (sh on Linux and macOS, PowerShell on Windows).
type Fix struct {
	Text    string `json:"text"`
	Command string `json:"command,omitempty"`
}

// FixText words the fixes for goos, one line each with its command, for
// a front end that has a few lines for what doctor lists: "Start the
// Docker service: sudo systemctl start docker", then "Or stop overriding
// the endpoint and use your current context: unset DOCKER_HOST". It is ""
// when there is no fix.
func (p Problem) FixText(goos string) string {
	var parts []string
	for _, f := range p.Fixes[goos] {
		s := f.Text
		if f.Command != "" {
			s += ": " + f.Command
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n")
}

// Explain turns an error from Resolve or Connect into a Problem for the
// endpoint ep.
func Explain(ep Endpoint, err error) Problem {
	class := Classify(err)
	var ce *ConnectError
	if errors.As(err, &ce) && ce.Endpoint.Host != "" {
		ep = ce.Endpoint
	}
	p := Problem{Class: class, Severity: SeverityError, Detail: err.Error()}
	if ce != nil && ce.Err != nil {
		p.Detail = ce.Err.Error() // the endpoint is in the report already
	}
	if sp, ok := explainSSH(p, ep, err); ok {
		return sp
	}
	k := kindOf(ep)
	where := displayAddr(ep.Host)
	switch class {
	case ClassNoSocket:
		what := "socket"
		if strings.HasPrefix(ep.Host, "npipe://") {
			what = "named pipe"
		}
		p.Message = fmt.Sprintf("There is no Docker %s at %s: %s is not running (or not installed).", what, where, k.product())
		p.Fixes = k.startFixes(ep)
	case ClassPermission:
		p.Message = fmt.Sprintf("Permission denied on %s: your user may not use this Docker socket.", where)
		p.Fixes = k.permissionFixes(ep)
	case ClassDaemonDown:
		if k == kindRemote {
			p.Message = fmt.Sprintf("%s refused the connection: no Docker daemon listens there.", where)
		} else {
			p.Message = fmt.Sprintf("Nothing answers at %s: %s is not running.", where, k.product())
		}
		p.Fixes = k.startFixes(ep)
	case ClassTimeout:
		p.Message = fmt.Sprintf("Docker at %s did not answer within %s: it is starting, overloaded or stuck.", where, PingTimeout)
		p.Fixes = k.restartFixes(ep)
	case ClassAPITooOld:
		p.Message = "This Docker Engine is too old for dockertutor"
		if ce != nil && ce.ServerAPIVersion != "" {
			p.Message += fmt.Sprintf(" (API %s", ce.ServerAPIVersion)
			if ce.ServerVersion != "" {
				p.Message += ", version " + ce.ServerVersion
			}
			p.Message += ")"
		}
		p.Message += fmt.Sprintf(": it needs API %s (Docker 19.03) or newer.", MinAPIVersion)
		p.Fixes = k.upgradeFixes()
	case ClassTLS:
		p.Message = fmt.Sprintf("The TLS connection to %s failed: %s.", where, tlsSymptom(err))
		p.Fixes = tlsFixes(ep, err)
	case ClassNetwork:
		p.Message = fmt.Sprintf("%s cannot be reached over the network.", where)
		p.Fixes = perOS(func(goos string) []Fix {
			return append([]Fix{{Text: "Check the host name, your VPN and firewall, and that the machine is up."}}, goBack(ep, goos)...)
		})
	case ClassConfig:
		p.Message = configMessage(ep, err)
		p.Fixes = configFixes(ep, err)
	case ClassUnsupported:
		p.Message = fmt.Sprintf("dockertutor cannot dial %s: it is an address a daemon listens on (systemd socket activation), not one a client can use.", ep.Host)
		p.Fixes = perOS(func(goos string) []Fix {
			return append([]Fix{{Text: "Use the socket that daemon serves instead", Command: setEnvLine(goos, "DOCKER_HOST", DefaultHost(goos))}}, goBack(ep, goos)...)
		})
	case ClassCanceled:
		p.Message = "The check was cancelled before Docker answered."
	default:
		p.Message = fmt.Sprintf("Docker at %s could not be used: %v", where, err)
		p.Fixes = perOS(func(goos string) []Fix {
			return append([]Fix{{Text: "See what the docker CLI says about the same endpoint", Command: "docker version"}}, goBack(ep, goos)...)
		})
	}
	return p
}

// kind is the sort of engine an endpoint points at, guessed from its
// address: it decides which start/restart commands make sense.
type kind int

const (
	kindSystem   kind = iota // the system daemon (Docker Desktop's symlink on macOS, the Windows service or Desktop pipe)
	kindRootless             // rootless dockerd of this user
	kindDesktop              // Docker Desktop's per-user socket
	kindColima
	kindPodman
	kindRemote // tcp://, ssh://
)

func kindOf(ep Endpoint) kind {
	proto, addr, _ := strings.Cut(ep.Host, "://")
	low := strings.ToLower(addr)
	switch {
	case proto == "tcp" || proto == "ssh":
		return kindRemote
	case strings.Contains(low, "podman"):
		return kindPodman
	case strings.Contains(low, "/.colima/") || strings.HasPrefix(ep.Context, "colima"):
		return kindColima
	case strings.Contains(low, "/.docker/run/") || strings.Contains(low, "/.docker/desktop/") ||
		strings.Contains(low, "dockerdesktop") || strings.HasPrefix(ep.Context, "desktop-"):
		return kindDesktop
	case strings.HasPrefix(low, "/run/user/") && strings.HasSuffix(low, "/docker.sock"),
		ep.Context == "rootless",
		os.Getenv("XDG_RUNTIME_DIR") != "" && addr == path.Join(os.Getenv("XDG_RUNTIME_DIR"), "docker.sock"):
		return kindRootless
	}
	return kindSystem
}

func (k kind) product() string {
	switch k {
	case kindRootless:
		return "your rootless Docker daemon"
	case kindDesktop:
		return "Docker Desktop"
	case kindColima:
		return "colima"
	case kindPodman:
		return "Podman's Docker-compatible service"
	case kindRemote:
		return "the remote Docker daemon"
	}
	return "Docker"
}

// perOS builds a fix list for each OS.
func perOS(f func(goos string) []Fix) map[string][]Fix {
	m := make(map[string][]Fix, len(allOS))
	for _, goos := range allOS {
		if fixes := f(goos); len(fixes) > 0 {
			m[goos] = fixes
		}
	}
	return m
}

func systemStart(goos string) []Fix {
	switch goos {
	case Linux:
		return []Fix{
			{Text: "Start the Docker service", Command: "sudo systemctl start docker"},
			{Text: "If it does not start, read why", Command: "sudo journalctl -u docker --no-pager -n 30"},
			{Text: "Not installed yet? Install Docker Engine (https://docs.docker.com/engine/install/); on Debian and Ubuntu", Command: "sudo apt-get install docker.io"},
		}
	case Darwin:
		return []Fix{
			{Text: "Start Docker Desktop and wait until it says the engine is running", Command: "open -a Docker"},
			{Text: "Or, if you use colima instead", Command: "colima start"},
		}
	default:
		return []Fix{
			{Text: "Start Docker Desktop from the Start menu and wait until it says the engine is running"},
			{Text: "On Windows Server with Docker Engine, start the service", Command: "Start-Service docker"},
		}
	}
}

func (k kind) startFixes(ep Endpoint) map[string][]Fix {
	return perOS(func(goos string) []Fix {
		var fixes []Fix
		switch {
		case k == kindRootless && goos == Linux:
			fixes = []Fix{
				{Text: "Start your rootless Docker daemon", Command: "systemctl --user start docker"},
				{Text: "Not set up yet? Install rootless Docker", Command: "dockerd-rootless-setuptool.sh install"},
				{Text: "Keep it running after you log out", Command: "sudo loginctl enable-linger $USER"},
			}
		case k == kindDesktop && goos == Linux:
			fixes = []Fix{{Text: "Start Docker Desktop", Command: "systemctl --user start docker-desktop"}}
		case k == kindColima && goos != Windows:
			fixes = []Fix{{Text: "Start colima", Command: colimaCommand("start", ep.Host)}}
		case k == kindPodman && goos == Linux:
			if strings.HasPrefix(socketPath(ep.Host), "/run/podman/") {
				fixes = []Fix{{Text: "Start Podman's system socket", Command: "sudo systemctl start podman.socket"}}
			} else {
				fixes = []Fix{{Text: "Start Podman's Docker-compatible socket for your user", Command: "systemctl --user start podman.socket"}}
			}
		case k == kindPodman:
			fixes = []Fix{{Text: "Start the Podman machine", Command: "podman machine start"}}
		case k == kindRemote:
			fixes = []Fix{{Text: fmt.Sprintf("Check that the Docker daemon on %s is running and listens on that port.", displayAddr(ep.Host))}}
		default:
			fixes = systemStart(goos)
		}
		return append(fixes, goBack(ep, goos)...)
	})
}

func (k kind) restartFixes(ep Endpoint) map[string][]Fix {
	return perOS(func(goos string) []Fix {
		fixes := []Fix{{Text: "Wait a few seconds and try again: a daemon that is starting answers late."}}
		switch {
		case k == kindRemote:
			fixes = append(fixes, Fix{Text: "Check the network path to the daemon (VPN, firewall) and that it is not overloaded."})
		case k == kindRootless && goos == Linux:
			fixes = append(fixes, Fix{Text: "Restart your rootless daemon", Command: "systemctl --user restart docker"})
		case k == kindColima && goos != Windows:
			fixes = append(fixes, Fix{Text: "Restart colima", Command: colimaCommand("restart", ep.Host)})
		case k == kindPodman && goos == Linux:
			fixes = append(fixes, Fix{Text: "Restart Podman's socket", Command: "systemctl --user restart podman.socket"})
		case k == kindPodman:
			fixes = append(fixes, Fix{Text: "Restart the Podman machine", Command: "podman machine stop; podman machine start"})
		case k == kindDesktop && goos == Linux:
			fixes = append(fixes, Fix{Text: "Restart Docker Desktop", Command: "systemctl --user restart docker-desktop"})
		case goos == Linux:
			fixes = append(fixes,
				Fix{Text: "Restart Docker", Command: "sudo systemctl restart docker"},
				Fix{Text: "See what it is doing", Command: "sudo journalctl -u docker --no-pager -n 30"})
		default:
			fixes = append(fixes, Fix{Text: "Restart Docker Desktop (whale icon > Restart)."})
		}
		return append(fixes, goBack(ep, goos)...)
	})
}

func (k kind) permissionFixes(ep Endpoint) map[string][]Fix {
	sock := socketPath(ep.Host)
	return perOS(func(goos string) []Fix {
		switch {
		case goos == Windows:
			return []Fix{
				{Text: "Add yourself to the docker-users group (in an administrator PowerShell), then sign out and back in", Command: "net localgroup docker-users $env:USERNAME /add"},
				{Text: "Or run your terminal as administrator."},
			}
		case k == kindRootless || k == kindColima || k == kindDesktop || (k == kindPodman && !strings.HasPrefix(sock, "/run/podman/")):
			// Per-user daemons: the socket is someone else's.
			return append([]Fix{
				{Text: "This socket belongs to another user; see who owns it", Command: "ls -l " + sock},
				{Text: "Start your own daemon and point DOCKER_HOST at your socket."},
			}, goBack(ep, goos)...)
		case goos == Linux:
			return []Fix{
				{Text: "Add yourself to the docker group", Command: "sudo usermod -aG docker $USER"},
				{Text: "Then log out and back in (group changes apply to new sessions), or use it in this shell now", Command: "newgrp docker"},
				{Text: "Mind that the docker group is as powerful as root; rootless Docker avoids that", Command: "dockerd-rootless-setuptool.sh install"},
			}
		default:
			return []Fix{
				{Text: "See who owns the socket", Command: "ls -l " + sock},
				{Text: "Quit and restart Docker Desktop (or colima) as your own user."},
			}
		}
	})
}

func (k kind) upgradeFixes() map[string][]Fix {
	return perOS(func(goos string) []Fix {
		switch {
		case k == kindPodman:
			return []Fix{{Text: "Upgrade Podman to a current release."}}
		case goos == Linux:
			return []Fix{{Text: "Upgrade Docker Engine to 19.03 or newer; see https://docs.docker.com/engine/install/"}}
		case goos == Darwin:
			return []Fix{
				{Text: "Update Docker Desktop (Settings > Software updates)."},
				{Text: "Or, with colima", Command: "brew upgrade colima"},
			}
		default:
			return []Fix{{Text: "Update Docker Desktop (Settings > Software updates)."}}
		}
	})
}

func tlsSymptom(err error) string {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "http request to an https server"), strings.Contains(msg, "malformed http response"):
		return "the daemon expects TLS but the connection is plain"
	case strings.Contains(msg, "first record does not look like a tls handshake"), strings.Contains(msg, "http response to https client"):
		return "the daemon does not speak TLS on this port"
	case strings.Contains(msg, "unknown authority"):
		return "its certificate is not signed by the CA you gave (ca.pem)"
	case strings.Contains(msg, "not valid for"), strings.Contains(msg, "doesn't contain any ip sans"):
		return "its certificate is for another host name"
	case strings.Contains(msg, "expired"):
		return "a certificate has expired"
	case strings.Contains(msg, "bad certificate"), strings.Contains(msg, "handshake failure"), strings.Contains(msg, "certificate required"):
		return "the daemon wants a client certificate (cert.pem and key.pem) it trusts"
	case strings.Contains(msg, "holds no pem"), strings.Contains(msg, "client certificate"), strings.Contains(msg, "read ca certificate"):
		return "the certificate files cannot be used"
	}
	return "certificate or protocol mismatch"
}

func tlsFixes(ep Endpoint, err error) map[string][]Fix {
	msg := strings.ToLower(err.Error())
	plainToTLS := strings.Contains(msg, "http request to an https server") || strings.Contains(msg, "malformed http response")
	tlsToPlain := strings.Contains(msg, "first record does not look like a tls handshake") || strings.Contains(msg, "http response to https client")
	return perOS(func(goos string) []Fix {
		var fixes []Fix
		if ep.Context != defaultContextName {
			fixes = append(fixes,
				Fix{Text: "Check the context's address and TLS files", Command: "docker context inspect " + ep.Context},
				Fix{Text: "Give it the right ones", Command: fmt.Sprintf(`docker context update %s --docker "host=%s,ca=CA.pem,cert=CERT.pem,key=KEY.pem"`, ep.Context, ep.Host)})
			return append(fixes, goBack(ep, goos)...)
		}
		switch {
		case plainToTLS:
			fixes = append(fixes, Fix{Text: "Turn TLS on, with the daemon's certificates in DOCKER_CERT_PATH", Command: setEnvLine(goos, "DOCKER_TLS_VERIFY", "1")})
		case tlsToPlain:
			fixes = append(fixes,
				Fix{Text: "Turn TLS off for this daemon", Command: unsetEnvLine(goos, "DOCKER_TLS_VERIFY")},
				Fix{Text: "Or use the daemon's TLS port (2376 by convention) in DOCKER_HOST."})
		default:
			fixes = append(fixes, Fix{Text: "Point DOCKER_CERT_PATH at the folder with this daemon's ca.pem, cert.pem and key.pem", Command: setEnvLine(goos, "DOCKER_CERT_PATH", "FOLDER")})
		}
		return append(fixes, goBack(ep, goos)...)
	})
}

func configMessage(ep Endpoint, err error) string {
	var re *ResolveError
	if errors.As(err, &re) {
		switch {
		case re.File != "" && strings.Contains(re.Err.Error(), "no such context"):
			return fmt.Sprintf("Docker context %q does not exist (no %s).", ep.Context, re.File)
		case re.File != "":
			return fmt.Sprintf("%s: %s cannot be used: %v.", re.What, re.File, re.Err)
		}
		return fmt.Sprintf("%s cannot be used: %v.", re.What, re.Err)
	}
	return fmt.Sprintf("The Docker endpoint %q cannot be used: %v.", ep.Host, err)
}

func configFixes(ep Endpoint, err error) map[string][]Fix {
	var re *ResolveError
	errors.As(err, &re)
	return perOS(func(goos string) []Fix {
		var fixes []Fix
		switch {
		case re != nil && strings.Contains(re.What, "TLS"):
			fixes = append(fixes,
				Fix{Text: "Put the daemon's ca.pem (and cert.pem, key.pem) in DOCKER_CERT_PATH", Command: setEnvLine(goos, "DOCKER_CERT_PATH", "FOLDER")},
				Fix{Text: "Or turn TLS off", Command: unsetEnvLine(goos, "DOCKER_TLS_VERIFY")})
		case ep.Origin == FromDockerHost:
			fixes = append(fixes, Fix{Text: "Set DOCKER_HOST to an address like unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST, or remove it."})
		case ep.Context != defaultContextName:
			fixes = append(fixes, Fix{Text: "List the contexts that exist", Command: "docker context ls"})
			if re != nil && re.File != "" && !strings.Contains(re.Err.Error(), "no such context") {
				fixes = append(fixes, Fix{Text: "Fix or delete the broken file " + re.File})
			}
		default:
			fixes = append(fixes, Fix{Text: "See which endpoints the docker CLI knows", Command: "docker context ls"})
		}
		return append(fixes, goBack(ep, goos)...)
	})
}

// goBack offers to undo the override that chose this endpoint, when there
// is one.
func goBack(ep Endpoint, goos string) []Fix {
	switch ep.Origin {
	case FromDockerHost:
		return []Fix{{Text: "Or stop overriding the endpoint and use your current context", Command: unsetEnvLine(goos, "DOCKER_HOST")}}
	case FromDockerContext:
		return []Fix{{Text: "Or stop overriding the context", Command: unsetEnvLine(goos, "DOCKER_CONTEXT")}}
	case FromConfigFile:
		if ep.Context != defaultContextName {
			return []Fix{{Text: "Or switch back to the default context", Command: "docker context use default"}}
		}
	}
	return nil
}

// colimaCommand adds --profile for a socket under ~/.colima/<profile>/.
func colimaCommand(verb, host string) string {
	p := socketPath(host)
	if i := strings.Index(p, "/.colima/"); i >= 0 {
		profile, _, _ := strings.Cut(p[i+len("/.colima/"):], "/")
		if profile != "" && profile != "default" && profile != "docker.sock" {
			return "colima " + verb + " --profile " + profile
		}
	}
	return "colima " + verb
}

func setEnvLine(goos, name, value string) string {
	if goos == Windows {
		return fmt.Sprintf(`$env:%s = "%s"`, name, value)
	}
	return fmt.Sprintf("export %s=%s", name, value)
}

func unsetEnvLine(goos, name string) string {
	if goos == Windows {
		return "Remove-Item Env:" + name
	}
	return "unset " + name
}

// socketPath is the file behind a unix:// or npipe:// address.
func socketPath(host string) string {
	proto, addr, _ := strings.Cut(host, "://")
	if proto == "npipe" {
		return strings.ReplaceAll(addr, "/", `\`)
	}
	return addr
}

// displayAddr is an address as a learner would recognise it: the socket
// path, the pipe name, or host:port.
func displayAddr(host string) string {
	proto, addr, ok := strings.Cut(host, "://")
	if !ok {
		return host
	}
	switch proto {
	case "unix", "npipe":
		return socketPath(host)
	case "tcp":
		h, _, _ := strings.Cut(addr, "/")
		return h
	case "ssh":
		if t, err := parseSSHHost(host); err == nil {
			return t.display()
		}
	}
	return host
}
