package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"
)

// probeTimeout bounds the ping of each candidate; they are probed in
// parallel, so the whole search takes about this long at most.
const probeTimeout = time.Second

// Candidate is another Docker endpoint found on this machine: a socket that
// exists, or a docker CLI context.
type Candidate struct {
	Host string `json:"host"`
	// What it is, e.g. "rootless Docker", `context "colima"`.
	What string `json:"what"`
	// Answers is true when it answered a ping just now.
	Answers bool `json:"answers"`
	// Use is the line to type (on the OS the report was made on) to use it.
	Use string `json:"use"`
}

// wellKnownSockets lists where the engines learners use put their sockets.
func wellKnownSockets(env Environ) []Candidate {
	if env.GOOS == Windows {
		return []Candidate{
			{Host: "npipe:////./pipe/docker_engine", What: "Docker Desktop or Docker Engine"},
			{Host: "npipe:////./pipe/dockerDesktopLinuxEngine", What: "Docker Desktop (Linux containers)"},
			{Host: "npipe:////./pipe/podman-machine-default", What: "Podman machine"},
		}
	}
	home := env.Home
	runtimeDir := env.Getenv("XDG_RUNTIME_DIR")
	if runtimeDir == "" && env.GOOS == Linux {
		runtimeDir = "/run/user/" + strconv.Itoa(os.Getuid())
	}
	var list []Candidate
	add := func(path, what string) {
		if path != "" {
			list = append(list, Candidate{Host: "unix://" + path, What: what})
		}
	}
	if env.GOOS == Darwin {
		add("/var/run/docker.sock", "Docker Desktop (system socket)")
	} else {
		add("/var/run/docker.sock", "Docker (system daemon)")
	}
	if runtimeDir != "" {
		add(filepath.Join(runtimeDir, "docker.sock"), "rootless Docker")
	}
	if home != "" {
		add(filepath.Join(home, ".docker", "run", "docker.sock"), "Docker Desktop")
		add(filepath.Join(home, ".docker", "desktop", "docker.sock"), "Docker Desktop")
		profiles, _ := filepath.Glob(filepath.Join(home, ".colima", "*", "docker.sock"))
		sort.Strings(profiles)
		for _, p := range profiles {
			what := "colima"
			if prof := filepath.Base(filepath.Dir(p)); prof != "default" {
				what = fmt.Sprintf("colima (profile %s)", prof)
			}
			add(p, what)
		}
		add(filepath.Join(home, ".colima", "docker.sock"), "colima")
		add(filepath.Join(home, ".orbstack", "run", "docker.sock"), "OrbStack")
		add(filepath.Join(home, ".rd", "docker.sock"), "Rancher Desktop")
		add(filepath.Join(home, ".lima", "docker", "sock", "docker.sock"), "Lima")
		add(filepath.Join(home, ".local", "share", "containers", "podman", "machine", "podman.sock"), "Podman machine")
	}
	if runtimeDir != "" {
		add(filepath.Join(runtimeDir, "podman", "podman.sock"), "Podman (rootless)")
	}
	add("/run/podman/podman.sock", "Podman (system)")
	return list
}

// findCandidates lists the endpoints other than current that exist on this
// machine (sockets and CLI contexts) and pings them in parallel.
func findCandidates(ctx context.Context, env Environ, current Endpoint) []Candidate {
	seen := map[string]bool{current.Host: true}
	var found []Candidate
	var endpoints []Endpoint
	// Contexts first: `docker context use` is the learner's usual switch,
	// and a socket a context already names needs no second line.
	for _, ep := range listContexts(env) {
		if seen[ep.Host] || (ep.Context == current.Context && current.Context != defaultContextName) {
			continue
		}
		if isSocketHost(ep.Host) {
			if _, err := os.Stat(socketPath(ep.Host)); err != nil {
				continue // a context for an engine that is not even installed here
			}
		}
		seen[ep.Host] = true
		c := Candidate{Host: ep.Host, What: fmt.Sprintf("context %q", ep.Context), Use: "docker context use " + ep.Context}
		if env.Getenv("DOCKER_HOST") != "" {
			// DOCKER_HOST beats any context.
			c.Use = unsetEnvLine(env.GOOS, "DOCKER_HOST") + "; " + c.Use
		}
		found = append(found, c)
		endpoints = append(endpoints, ep)
	}
	for _, c := range wellKnownSockets(env) {
		if seen[c.Host] {
			continue
		}
		if _, err := os.Stat(socketPath(c.Host)); err != nil {
			continue
		}
		seen[c.Host] = true
		c.Use = setEnvLine(env.GOOS, "DOCKER_HOST", c.Host)
		found = append(found, c)
		endpoints = append(endpoints, Endpoint{Host: c.Host, Source: c.What, Origin: FromDockerHost, Context: defaultContextName})
	}

	var wg sync.WaitGroup
	for i := range found {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A candidate answers within probeTimeout or not at all: no
			// longer wait for a slow ssh host.
			cli, _, err := connect(ctx, endpoints[i], probeTimeout, 0)
			if err == nil {
				found[i].Answers = true
				_ = cli.Close()
			}
		}()
	}
	wg.Wait()
	sort.SliceStable(found, func(i, j int) bool { return found[i].Answers && !found[j].Answers })
	return found
}

// listContexts returns the CLI contexts whose docker endpoint resolves;
// broken ones are left out (the current one, if broken, is reported on
// its own).
func listContexts(env Environ) []Endpoint {
	dir := configDir(env)
	metas, _ := filepath.Glob(filepath.Join(dir, "contexts", "meta", "*", "meta.json"))
	sort.Strings(metas)
	var eps []Endpoint
	for _, m := range metas {
		data, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		var meta contextMeta
		if json.Unmarshal(data, &meta) != nil || meta.Name == "" {
			continue
		}
		ep, err := resolveNamedContext(env, dir, Endpoint{Context: meta.Name, Origin: FromDockerContext, Source: fmt.Sprintf("context %q", meta.Name)})
		if err != nil {
			continue
		}
		eps = append(eps, ep)
	}
	return eps
}
