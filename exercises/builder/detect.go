package builder

import (
	"context"
	"fmt"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"
)

// Availability says which builders a daemon offers. The classic builder is
// always there (deprecated since Docker 23, not removed).
type Availability struct {
	// BuildKit reports whether a BuildKit build is worth trying. A daemon
	// that claims it but refuses the build session is found out by Build,
	// which then falls back to the classic builder under Auto.
	BuildKit bool
	// Default is the builder the daemon uses when the client names none.
	Default Kind
	// Reason says in a sentence how this was decided.
	Reason string
}

// Pinger is the part of the Docker API Detect needs.
type Pinger interface {
	Ping(ctx context.Context, options client.PingOptions) (client.PingResult, error)
}

// Detect asks the daemon which builders it offers. Only API 1.42 and later
// (Docker 23) name their default builder in the ping's Builder-Version
// header; before that, every Linux daemon since Docker 18.09 has BuildKit
// built in, while Windows daemons have none.
func Detect(ctx context.Context, d Pinger) (Availability, error) {
	ping, err := d.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		return Availability{}, fmt.Errorf("ask the Docker daemon which builders it has: %w", err)
	}
	if ping.OSType == "windows" {
		return Availability{BuildKit: false, Default: Classic, Reason: "a Windows daemon has no built-in BuildKit"}, nil
	}
	switch ping.BuilderVersion {
	case build.BuilderBuildKit:
		return Availability{BuildKit: true, Default: BuildKit, Reason: "the daemon names BuildKit as its builder"}, nil
	case build.BuilderV1:
		return Availability{BuildKit: true, Default: Classic, Reason: "the daemon names the classic builder as its default; BuildKit is built into Linux daemons and is asked for explicitly"}, nil
	}
	return Availability{
		BuildKit: true,
		Default:  Classic,
		Reason:   fmt.Sprintf("the daemon (API %s) does not name its builder, as before API 1.42; Linux daemons since Docker 18.09 have BuildKit built in", ping.APIVersion),
	}, nil
}
