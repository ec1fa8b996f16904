package engine

import (
	"errors"
	"fmt"
	"strings"
)

// explainSSH writes the Problem for a failure on an ssh:// endpoint: ssh's
// own words (login, host key, network) or the remote docker's, with the
// ssh commands that fix or show it. ok is false for errors that are not
// about ssh (a config error, a daemon too old by its API version).
func explainSSH(p Problem, ep Endpoint, err error) (Problem, bool) {
	var se *sshError
	errors.As(err, &se)
	var t sshTarget
	switch {
	case se != nil:
		t = se.target
	case p.Class == ClassTimeout && strings.HasPrefix(ep.Host, "ssh://"):
		var perr error
		if t, perr = parseSSHHost(ep.Host); perr != nil {
			return p, false
		}
	default:
		return p, false
	}
	where := t.display()
	who := "your user (or the User that ~/.ssh/config gives)"
	if t.User != "" {
		who = t.User
	}
	// What the tutor does, as a line to paste: it must print the remote
	// Docker's version without asking anything.
	check := Fix{Text: "See what dockertutor sees: this must print Docker's version without asking anything", Command: t.login("-o", "BatchMode=yes") + " docker version"}
	fixes := func(f func(goos string) []Fix) map[string][]Fix {
		return perOS(func(goos string) []Fix { return append(f(goos), goBack(ep, goos)...) })
	}
	same := func(list ...Fix) map[string][]Fix {
		return fixes(func(string) []Fix { return list })
	}

	if se == nil {
		p.Message = fmt.Sprintf("Docker at %s did not answer over ssh within %s: logging in or starting `docker system dial-stdio` there took too long.", where, PingTimeout)
		p.Fixes = same(Fix{Text: "Try again: a first login can be slow (DNS, a busy host)."}, check)
		return p, true
	}

	switch se.symptom() {
	case sshNoClient:
		p.Message = "dockertutor reaches ssh:// endpoints through the ssh program, as the docker CLI does, and this machine has none."
		p.Fixes = fixes(func(goos string) []Fix {
			switch goos {
			case Windows:
				return []Fix{{Text: "Install Windows' OpenSSH client (in an administrator PowerShell), then open a new terminal", Command: "Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0"}}
			case Darwin:
				return []Fix{{Text: "macOS ships ssh in /usr/bin: put that folder back on your PATH", Command: "ls -l /usr/bin/ssh"}}
			}
			return []Fix{{Text: "Install the OpenSSH client (Debian and Ubuntu; on Fedora: sudo dnf install openssh-clients)", Command: "sudo apt-get install openssh-client"}}
		})
	case sshNameUnknown:
		p.Message = fmt.Sprintf("ssh cannot find the host %s: the name does not resolve.", t.Host)
		p.Fixes = same(
			Fix{Text: "Check the name in the address; a Host alias from ~/.ssh/config works too. See the host name ssh would use", Command: "ssh -G " + t.Host},
			Fix{Text: "Check your network connection and VPN."})
	case sshUnreachable:
		p.Message = fmt.Sprintf("%s cannot be reached over the network: there is no route to it.", where)
		p.Fixes = same(Fix{Text: "Check the address, your VPN and firewall, and that the machine is up."}, check)
	case sshRefused:
		p.Message = fmt.Sprintf("Nothing accepts ssh connections at %s: the ssh server is not running there, or listens on another port (ssh uses 22 unless the address or ~/.ssh/config says otherwise).", where)
		p.Fixes = same(
			Fix{Text: "See the port ssh uses for this host", Command: "ssh -G " + t.Host},
			Fix{Text: "On the host, start the ssh server (Debian and Ubuntu)", Command: "sudo systemctl start ssh"})
	case sshSlow:
		if se.loggedIn() {
			p.Message = fmt.Sprintf("ssh logged in to %s, but Docker there did not answer within %s: starting `docker system dial-stdio` took too long (a busy host, a stuck daemon, or a ~/.bashrc there that runs slow tools: ssh runs commands through the login shell).", where, sshAnswerTimeout)
			p.Fixes = same(
				Fix{Text: "Time a bare login: a few tenths of a second is normal", Command: t.login("-o", "BatchMode=yes") + " true"},
				check)
		} else {
			p.Message = fmt.Sprintf("ssh did not log in to %s within %s: the host answers, but logging in takes too long.", where, PingTimeout)
			p.Fixes = same(Fix{Text: "Watch where it waits", Command: t.login("-v", "-o", "BatchMode=yes") + " exit"})
		}
	case sshTimedOut:
		p.Message = fmt.Sprintf("%s did not answer ssh within %ss: the host is down, the address is wrong, or a firewall drops the connection.", where, sshConnectTimeout)
		p.Fixes = same(
			Fix{Text: "See whether it answers with more time", Command: t.login("-o", "ConnectTimeout=10") + " exit"},
			Fix{Text: "Check the address, your VPN and firewall, and that the machine is up."})
	case sshTurnedAway:
		p.Message = fmt.Sprintf("%s closed the connection before ssh could log in: its ssh server turned this client away (AllowUsers, fail2ban, too many connections), or the port is not an ssh server.", where)
		p.Fixes = same(Fix{Text: "Watch what happens step by step", Command: t.login("-v", "-o", "BatchMode=yes") + " exit"})
	case sshAuth:
		p.Message = fmt.Sprintf("ssh could not log in to %s as %s: the host accepted none of your keys, and dockertutor (like the docker CLI in a script) cannot type a password or passphrase.", where, who)
		p.Fixes = fixes(func(goos string) []Fix {
			list := []Fix{check,
				{Text: "If your key has a passphrase, load it into ssh-agent once (on Windows the ssh-agent service must be running)", Command: "ssh-add"}}
			if goos == Windows {
				list = append(list, Fix{Text: "If the host only knows your password, add your public key there (it asks for the password once)",
					Command: fmt.Sprintf(`type $env:USERPROFILE\.ssh\id_ed25519.pub | %s "cat >> ~/.ssh/authorized_keys"`, t.login())})
			} else {
				list = append(list, Fix{Text: "If the host only knows your password, install your public key there (it asks for the password once)", Command: strings.Replace(t.login(), "ssh", "ssh-copy-id", 1)})
			}
			return append(list, Fix{Text: "No key yet? Make one first", Command: "ssh-keygen -t ed25519"})
		})
	case sshHostKeyUnknown:
		p.Message = fmt.Sprintf("ssh does not know the host key of %s yet, and dockertutor cannot ask you whether to trust it.", where)
		p.Fixes = same(Fix{Text: "Log in once in a terminal, check the fingerprint with whoever runs the host, and answer yes", Command: t.login() + " exit"})
	case sshHostKeyChanged:
		p.Message = fmt.Sprintf("The host key of %s has changed since you last logged in: the host was reinstalled, or someone is intercepting the connection. ssh refuses to go on.", where)
		p.Fixes = same(
			Fix{Text: "Ask whoever runs the host whether it was reinstalled. Only then forget the old key", Command: fmt.Sprintf("ssh-keygen -R %q", t.knownHostsName())},
			Fix{Text: "Log in once and check the new fingerprint", Command: t.login() + " exit"})
	case sshConfigError:
		p.Message = fmt.Sprintf("ssh stops before connecting: your ssh configuration has an error (%s).", se.said())
		p.Fixes = same(Fix{Text: "Fix the line ssh names in ~/.ssh/config; this shows the settings it would use", Command: "ssh -G " + t.Host})
	case sshNoRemoteDocker:
		p.Message = fmt.Sprintf("ssh logged in to %s, but there is no docker command there (or it is not on the PATH that commands run over ssh get).", where)
		p.Fixes = same(
			Fix{Text: "See whether a command run over ssh finds docker", Command: t.login() + " 'command -v docker'"},
			Fix{Text: "Install Docker on the host: https://docs.docker.com/engine/install/"},
			Fix{Text: "If docker is installed in another folder, put that folder on the PATH of non-interactive shells there (~/.bashrc before its interactive check, or ~/.zshenv)."})
	case sshRemoteTooOld:
		p.Message = fmt.Sprintf("The docker command on %s is too old for ssh:// endpoints: it lacks `docker system dial-stdio` (Docker 18.09), and dockertutor needs Docker 19.03 or newer.", where)
		p.Fixes = same(Fix{Text: "Upgrade Docker on the host: https://docs.docker.com/engine/install/"})
	case sshRemoteDocker:
		said := se.said()
		switch p.Class {
		case ClassPermission:
			p.Message = fmt.Sprintf("ssh logged in to %s, but %s may not use the Docker socket there (%s).", where, who, said)
			p.Fixes = same(
				Fix{Text: "On the host, add the user to the docker group (the next ssh login has it); mind that the group is as powerful as root", Command: t.login("-t") + " 'sudo usermod -aG docker $USER'"},
				check)
		case ClassDaemonDown, ClassNoSocket:
			p.Message = fmt.Sprintf("ssh logged in to %s, but the Docker daemon there is not running or not at the socket docker uses (%s).", where, said)
			p.Fixes = fixes(func(goos string) []Fix {
				return []Fix{
					{Text: "Start Docker on the host", Command: t.login("-t") + " 'sudo systemctl start docker'"},
					sshSocketFix(ep, goos, t),
				}
			})
		default:
			p.Message = fmt.Sprintf("ssh logged in to %s, but `docker system dial-stdio` failed there (%s).", where, said)
			p.Fixes = same(check)
		}
	default:
		what := se.said()
		if what == "" {
			what = fmt.Sprintf("exit status %d", se.ExitCode)
		}
		p.Message = fmt.Sprintf("ssh to %s failed: %s.", where, strings.TrimSuffix(what, "."))
		p.Fixes = same(Fix{Text: "Watch what happens step by step", Command: t.login("-v", "-o", "BatchMode=yes") + " docker version"})
	}
	return p, true
}

// sshSocketFix names another remote socket in the address, the way the
// endpoint was chosen.
func sshSocketFix(ep Endpoint, goos string, t sshTarget) Fix {
	t.Socket = "/PATH/TO/docker.sock"
	addr := "ssh://" + t.display() + t.Socket
	text := "If the daemon there listens on another socket (rootless Docker: /run/user/UID/docker.sock), put its path in the address"
	if ep.Origin == FromDockerHost || ep.Context == defaultContextName || ep.Context == "" {
		return Fix{Text: text, Command: setEnvLine(goos, "DOCKER_HOST", addr)}
	}
	return Fix{Text: text, Command: fmt.Sprintf(`docker context update %s --docker "host=%s"`, ep.Context, addr)}
}
