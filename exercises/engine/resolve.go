// Package engine owns the learner's Docker daemon connection: finding the
// endpoint exactly as the docker CLI would (DOCKER_HOST, DOCKER_CONTEXT, the
// current context in the CLI config file, the platform default), connecting
// to it with API-version negotiation and a bounded ping (ssh:// endpoints
// through the system's ssh and `docker system dial-stdio`, as the CLI
// does), and explaining in a
// learner's words why that fails and how to fix it on their OS (the data
// behind `dockertutor doctor`).
package engine

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Origin says which rule of the docker CLI's precedence chose the endpoint.
type Origin string

const (
	FromDockerHost    Origin = "DOCKER_HOST"    // the DOCKER_HOST variable
	FromDockerContext Origin = "DOCKER_CONTEXT" // a context named by DOCKER_CONTEXT
	FromConfigFile    Origin = "config"         // currentContext in the CLI config file
	FromDefault       Origin = "default"        // the platform default
)

// Endpoint is where the learner's Docker daemon is expected, how that was
// decided, and the TLS material to reach it.
type Endpoint struct {
	// Host is the daemon address: unix:///var/run/docker.sock,
	// npipe:////./pipe/docker_engine, tcp://host:2376, ssh://user@host.
	Host string `json:"host"`
	// Source says where Host came from in a learner's words, e.g.
	// `context "colima" (current context in ~/.docker/config.json)`.
	Source string `json:"source"`
	Origin Origin `json:"origin"`
	// Context is the docker CLI context in use, "default" for the
	// built-in one.
	Context string `json:"context"`
	// ConfigFile is the CLI config file consulted (it may not exist).
	ConfigFile string `json:"configFile,omitempty"`
	// MetaFile is the context's meta.json, for named contexts.
	MetaFile string `json:"metaFile,omitempty"`
	// TLS is nil for plain connections and for sockets (the CLI never
	// uses TLS on a unix socket or a named pipe).
	TLS *TLS `json:"tls,omitempty"`
	// Warnings are things the docker CLI would only warn about, such as
	// an unreadable config file it ignores.
	Warnings []string `json:"warnings,omitempty"`
}

// TLS is the TLS material for a tcp endpoint. Empty file names mean the
// file is not used: no CA means the system roots, no cert/key pair means no
// client certificate.
type TLS struct {
	CAFile     string `json:"caFile,omitempty"`
	CertFile   string `json:"certFile,omitempty"`
	KeyFile    string `json:"keyFile,omitempty"`
	SkipVerify bool   `json:"skipVerify"`
}

// ResolveError is an endpoint that cannot be worked out: an unknown
// context, a broken meta.json, an invalid DOCKER_HOST.
type ResolveError struct {
	// What was being resolved, in the same words as Endpoint.Source.
	What string
	// File is the file at fault, if any.
	File string
	Err  error
}

func (e *ResolveError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s: %s: %v", e.What, e.File, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.What, e.Err)
}

func (e *ResolveError) Unwrap() error { return e.Err }

// Environ is what resolution reads from the machine. OSEnviron is the real
// one; tests build their own.
type Environ struct {
	Getenv func(string) string
	// Home is the user's home directory (for ~/.docker).
	Home string
	// GOOS picks the platform default endpoint.
	GOOS string
}

// OSEnviron returns the process environment.
func OSEnviron() Environ {
	home, _ := os.UserHomeDir()
	return Environ{Getenv: os.Getenv, Home: home, GOOS: runtime.GOOS}
}

const (
	defaultUnixHost = "unix:///var/run/docker.sock"
	defaultPipeHost = "npipe:////./pipe/docker_engine"
	// defaultTLSHost is what the docker CLI dials when TLS is on through
	// DOCKER_TLS_VERIFY or DOCKER_TLS but DOCKER_HOST is empty.
	defaultTLSHost = "tcp://localhost:2376"
	defaultTCPPort = "2375"
	// defaultContextName is the CLI's built-in context: DOCKER_HOST or
	// the platform default.
	defaultContextName = "default"
)

// DefaultHost is the platform's default daemon address.
func DefaultHost(goos string) string {
	if goos == "windows" {
		return defaultPipeHost
	}
	return defaultUnixHost
}

// Resolve finds the daemon endpoint the docker CLI would use in this
// process's environment.
func Resolve() (Endpoint, error) { return ResolveIn(OSEnviron()) }

// ResolveIn finds the endpoint the docker CLI would use in env. The order is
// the CLI's: DOCKER_HOST (with DOCKER_TLS_VERIFY, DOCKER_TLS and
// DOCKER_CERT_PATH), then DOCKER_CONTEXT, then currentContext in
// $DOCKER_CONFIG/config.json, then the platform default. On error the
// returned Endpoint still says what was being resolved.
func ResolveIn(env Environ) (Endpoint, error) {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.GOOS == "" {
		env.GOOS = runtime.GOOS
	}
	dir := configDir(env)
	cfgFile := filepath.Join(dir, "config.json")
	currentContext, warning := readCurrentContext(cfgFile)

	var ep Endpoint
	ep.ConfigFile = cfgFile
	if warning != "" {
		ep.Warnings = append(ep.Warnings, warning)
	}
	if v := env.Getenv("DOCKER_API_VERSION"); v != "" {
		// A pinned version only breaks things once the daemon moves on;
		// Connect always negotiates.
		ep.Warnings = append(ep.Warnings, fmt.Sprintf("DOCKER_API_VERSION=%s is ignored: dockertutor agrees on the API version with the daemon", v))
	}

	switch {
	case env.Getenv("DOCKER_HOST") != "":
		ep.Origin, ep.Context = FromDockerHost, defaultContextName
		ep.Source = "DOCKER_HOST"
		return resolveDefaultContext(env, dir, ep)
	case env.Getenv("DOCKER_CONTEXT") != "":
		name := env.Getenv("DOCKER_CONTEXT")
		ep.Origin, ep.Context = FromDockerContext, name
		if name == defaultContextName {
			return resolveDefaultContext(env, dir, ep)
		}
		ep.Source = fmt.Sprintf("context %q (DOCKER_CONTEXT)", name)
		return resolveNamedContext(env, dir, ep)
	case currentContext != "":
		ep.Origin, ep.Context = FromConfigFile, currentContext
		if currentContext == defaultContextName {
			return resolveDefaultContext(env, dir, ep)
		}
		ep.Source = fmt.Sprintf("context %q (current context in %s)", currentContext, tildePath(cfgFile, env.Home))
		return resolveNamedContext(env, dir, ep)
	default:
		ep.Origin, ep.Context = FromDefault, defaultContextName
		return resolveDefaultContext(env, dir, ep)
	}
}

// configDir is the CLI's config directory: DOCKER_CONFIG or ~/.docker.
func configDir(env Environ) string {
	if d := env.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	return filepath.Join(env.Home, ".docker")
}

// readCurrentContext returns currentContext from the CLI config file. Like
// the CLI, a missing file means no context and a broken one is only a
// warning (the CLI prints it and carries on with an empty config).
func readCurrentContext(file string) (name, warning string) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", ""
	}
	if err != nil {
		return "", fmt.Sprintf("cannot read %s (the docker CLI ignores it too): %v", file, err)
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return "", ""
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Sprintf("%s is not valid JSON, so its currentContext is ignored (the docker CLI does the same): %v", file, err)
	}
	return cfg.CurrentContext, ""
}

// resolveDefaultContext is the CLI's built-in "default" context: DOCKER_HOST
// or the platform default, TLS from DOCKER_TLS_VERIFY/DOCKER_TLS with files
// in DOCKER_CERT_PATH (default: the config directory).
func resolveDefaultContext(env Environ, dir string, ep Endpoint) (Endpoint, error) {
	verify := env.Getenv("DOCKER_TLS_VERIFY") != ""
	useTLS := verify || env.Getenv("DOCKER_TLS") != ""
	if v := env.Getenv("DOCKER_TLS_VERIFY"); v != "" && isFalse(v) {
		ep.Warnings = append(ep.Warnings, fmt.Sprintf("DOCKER_TLS_VERIFY=%s still turns TLS verification on: any non-empty value does; unset it to turn it off", v))
	}

	raw := env.Getenv("DOCKER_HOST")
	host, err := parseHost(raw, useTLS, env.GOOS)
	if err != nil {
		return ep, &ResolveError{What: "DOCKER_HOST=" + raw, Err: err}
	}
	ep.Host = host
	if ep.Source == "" {
		switch {
		case raw == "" && useTLS:
			ep.Source = "default TLS address (DOCKER_TLS_VERIFY or DOCKER_TLS is set)"
		case env.GOOS == "windows":
			ep.Source = "default named pipe"
		default:
			ep.Source = "default socket"
		}
		switch ep.Origin {
		case FromDockerContext:
			ep.Source += " (DOCKER_CONTEXT=default)"
		case FromConfigFile:
			ep.Source += fmt.Sprintf(" (current context %q in %s)", defaultContextName, tildePath(ep.ConfigFile, env.Home))
		}
	}
	if !useTLS {
		return ep, nil
	}

	certDir := cmp.Or(env.Getenv("DOCKER_CERT_PATH"), dir)
	t := &TLS{SkipVerify: !verify}
	// The CLI insists on ca.pem but drops cert.pem and key.pem when they
	// are missing (cli/flags/options.go SetDefaultOptions).
	t.CAFile = filepath.Join(certDir, "ca.pem")
	if _, err := os.Stat(t.CAFile); err != nil {
		what := "DOCKER_TLS_VERIFY"
		if !verify {
			what = "DOCKER_TLS"
		}
		return ep, &ResolveError{What: what + " is set but the CA certificate is unreadable", File: t.CAFile, Err: err}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"cert.pem", &t.CertFile}, {"key.pem", &t.KeyFile}} {
		p := filepath.Join(certDir, f.name)
		if _, err := os.Stat(p); err == nil {
			*f.dst = p
		} else if !errors.Is(err, fs.ErrNotExist) {
			return ep, &ResolveError{What: "TLS client certificate", File: p, Err: err}
		}
	}
	if usesTLS(ep.Host) {
		ep.TLS = t
	}
	return ep, nil
}

// contextMeta is the part of a context's meta.json the docker endpoint
// needs. Go's JSON decoding ignores key case, as the CLI's does.
type contextMeta struct {
	Name      string                     `json:"Name"`
	Endpoints map[string]json.RawMessage `json:"Endpoints"`
}

type dockerEndpointMeta struct {
	Host          string `json:"Host"`
	SkipTLSVerify bool   `json:"SkipTLSVerify"`
}

// ContextDirName is the directory name the CLI stores a context under: the
// hex SHA-256 of its name.
func ContextDirName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func resolveNamedContext(env Environ, dir string, ep Endpoint) (Endpoint, error) {
	id := ContextDirName(ep.Context)
	ep.MetaFile = filepath.Join(dir, "contexts", "meta", id, "meta.json")
	data, err := os.ReadFile(ep.MetaFile)
	if errors.Is(err, fs.ErrNotExist) {
		return ep, &ResolveError{What: ep.Source, File: ep.MetaFile,
			Err: fmt.Errorf("no such context (the file is missing; `docker context ls` lists the contexts that exist)")}
	}
	if err != nil {
		return ep, &ResolveError{What: ep.Source, File: ep.MetaFile, Err: err}
	}
	var meta contextMeta
	if err := json.Unmarshal(data, &meta); err != nil {
		return ep, &ResolveError{What: ep.Source, File: ep.MetaFile, Err: fmt.Errorf("not valid JSON: %w", err)}
	}
	raw, ok := meta.Endpoints["docker"]
	if !ok {
		return ep, &ResolveError{What: ep.Source, File: ep.MetaFile, Err: errors.New("no docker endpoint in Endpoints")}
	}
	var dm dockerEndpointMeta
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &dm); err != nil {
			return ep, &ResolveError{What: ep.Source, File: ep.MetaFile, Err: fmt.Errorf("Endpoints.docker: %w", err)}
		}
	}
	// An empty Host leaves the API client on its built-in default, as the
	// CLI does (cli/context/docker/load.go ClientOpts).
	ep.Host = strings.TrimSpace(dm.Host)
	if ep.Host == "" {
		ep.Host = DefaultHost(env.GOOS)
	}
	if err := checkHost(ep.Host); err != nil {
		return ep, &ResolveError{What: ep.Source, File: ep.MetaFile, Err: fmt.Errorf("Endpoints.docker.Host %q: %w", dm.Host, err)}
	}
	if !usesTLS(ep.Host) {
		return ep, nil
	}

	// TLS material lives beside the metadata; each file is optional. A
	// docker/ folder at all means TLS, as does SkipTLSVerify.
	tlsDir := filepath.Join(dir, "contexts", "tls", id, "docker")
	t := &TLS{SkipVerify: dm.SkipTLSVerify}
	present := false
	if fi, err := os.Stat(tlsDir); err == nil && fi.IsDir() {
		present = true
		for name, f := range map[string]*string{"ca.pem": &t.CAFile, "cert.pem": &t.CertFile, "key.pem": &t.KeyFile} {
			p := filepath.Join(tlsDir, name)
			if _, err := os.Stat(p); err == nil {
				*f = p
			} else if !errors.Is(err, fs.ErrNotExist) {
				return ep, &ResolveError{What: ep.Source, File: p, Err: err}
			}
		}
	}
	if present || dm.SkipTLSVerify {
		ep.TLS = t
	}
	return ep, nil
}

// parseHost normalises a DOCKER_HOST value as the CLI does (opts/hosts.go):
// empty means the default, a bare path means unix, anything else without a
// scheme means tcp, and tcp gets a default host and port.
func parseHost(val string, defaultToTLS bool, goos string) (string, error) {
	host := strings.TrimSpace(val)
	if host == "" {
		if defaultToTLS {
			return defaultTLSHost, nil
		}
		return DefaultHost(goos), nil
	}
	proto, addr, hasProto := strings.Cut(host, "://")
	if !hasProto {
		addr = proto
		if strings.HasPrefix(addr, "/") || strings.HasPrefix(addr, "./") {
			proto = "unix"
		} else {
			proto = "tcp"
		}
	}
	switch proto {
	case "tcp":
		return parseTCPHost(addr)
	case "unix", "npipe":
		if strings.Contains(addr, "://") {
			return "", fmt.Errorf("invalid address, expected %s://PATH", proto)
		}
		if addr == "" {
			if proto == "unix" {
				addr = "/var/run/docker.sock"
			} else {
				addr = "//./pipe/docker_engine"
			}
		}
		return proto + "://" + addr, nil
	case "ssh":
		if _, err := parseSSHHost(host); err != nil {
			return "", err
		}
		return host, nil
	case "fd":
		return host, nil
	default:
		return "", fmt.Errorf("unknown scheme %q: use unix://, tcp://, npipe:// or ssh://", proto)
	}
}

func parseTCPHost(addr string) (string, error) {
	if addr == "" {
		return "tcp://localhost:" + defaultTCPPort, nil
	}
	if strings.Contains(addr, "://") {
		return "", errors.New("invalid address, expected tcp://HOST:PORT")
	}
	if strings.HasSuffix(addr, "]:") {
		addr += defaultTCPPort
	}
	u, err := url.Parse("tcp://" + addr)
	if err != nil {
		return "", fmt.Errorf("invalid address: %w", err)
	}
	h, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		h, port, err = net.SplitHostPort(net.JoinHostPort(u.Host, defaultTCPPort))
	}
	if err != nil {
		return "", fmt.Errorf("invalid address %q", addr)
	}
	h, port = cmp.Or(h, "localhost"), cmp.Or(port, defaultTCPPort)
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return "", fmt.Errorf("invalid port %q", port)
	}
	return "tcp://" + net.JoinHostPort(h, port) + u.Path, nil
}

// checkHost accepts the addresses the API client can dial (or that Connect
// explains it cannot).
func checkHost(host string) error {
	proto, addr, ok := strings.Cut(host, "://")
	if !ok || addr == "" {
		return errors.New("not an address like unix:///path or tcp://host:port")
	}
	switch proto {
	case "unix", "npipe", "tcp", "fd":
		return nil
	case "ssh":
		_, err := parseSSHHost(host)
		return err
	}
	return fmt.Errorf("unknown scheme %q: use unix://, tcp://, npipe:// or ssh://", proto)
}

// isSocketHost reports a local socket, where the CLI never applies TLS.
func isSocketHost(host string) bool {
	proto, _, _ := strings.Cut(host, "://")
	return proto == "unix" || proto == "npipe" || proto == "fd"
}

// usesTLS reports an address the CLI may apply TLS to: not a socket, and
// not ssh://, which carries its own encryption (cli/context/docker/load.go
// builds the ssh transport with no TLS).
func usesTLS(host string) bool {
	return !isSocketHost(host) && !strings.HasPrefix(host, "ssh://")
}

func isFalse(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && !b
}

// tildePath shortens a path under home to ~/..., as a learner would write it.
func tildePath(p, home string) string {
	if home == "" {
		return p
	}
	rel, err := filepath.Rel(home, p)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return p
	}
	return "~/" + filepath.ToSlash(rel)
}
