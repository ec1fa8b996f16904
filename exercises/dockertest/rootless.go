package dockertest

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// RootlessHostEnv names a rootless Docker daemon's endpoint (.ci/rootless
// prints it); the tests of rootless Docker skip without it.
const RootlessHostEnv = "DOCKERTUTOR_ROOTLESS_HOST"

// RequireRootlessEnv makes a missing or unreachable rootless daemon a
// failure instead of a skip.
const RequireRootlessEnv = "DOCKERTUTOR_REQUIRE_ROOTLESS"

// Rootless returns a client for the rootless daemon at
// $DOCKERTUTOR_ROOTLESS_HOST and that host. Without one the test is
// skipped, or fails when DOCKERTUTOR_REQUIRE_ROOTLESS=1. A daemon there
// that is not rootless fails the test: what it proves would not be about
// rootless Docker.
func Rootless(t testing.TB) (*client.Client, string) {
	t.Helper()
	registryLookupsOff()
	host := os.Getenv(RootlessHostEnv)
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv(RequireRootlessEnv) == "1" {
			t.Fatalf("a rootless Docker daemon is required (%s=1): "+format, append([]any{RequireRootlessEnv}, args...)...)
		}
		t.Skipf("no rootless Docker daemon: "+format, args...)
	}
	if host == "" {
		missing("%s is not set (.ci/rootless starts one and prints it)", RootlessHostEnv)
	}
	cli, err := client.New(client.FromEnv, client.WithHost(host))
	if err != nil {
		missing("%s=%s: %v", RootlessHostEnv, host, err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		missing("%s=%s does not answer: %v", RootlessHostEnv, host, err)
	}
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatalf("%s: info: %v", host, err)
	}
	if !slices.ContainsFunc(info.Info.SecurityOptions, func(o string) bool {
		return slices.Contains(strings.Split(o, ","), "name=rootless")
	}) {
		t.Fatalf("%s=%s is not a rootless daemon (security options %v)", RootlessHostEnv, host, info.Info.SecurityOptions)
	}
	return cli, host
}
