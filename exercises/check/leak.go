package check

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/lessons"
)

func leakAbsent(ctx context.Context, env Env, s *lessons.LeakAbsent) finding {
	return leakCheck(ctx, env, s.Image, false)
}

func leakFound(ctx context.Context, env Env, s *lessons.LeakFound) finding {
	return leakCheck(ctx, env, s.Image, true)
}

// maxEvidence caps the findings listed; the message gives the total.
const maxEvidence = 6

func leakCheck(ctx context.Context, env Env, ref string, wantFound bool) finding {
	rep, err := leak.Scan(ctx, leak.FromClient(env.Docker), ref, []byte(env.Values.Secret), leak.Options{})
	if errors.Is(err, leak.ErrNotFound) {
		return failed(fmt.Sprintf("There is no image %s yet: build it first.", ref))
	}
	if err != nil {
		return dockerError(err)
	}
	var ev []Evidence
	for _, f := range rep.Findings {
		if len(ev) == maxEvidence {
			break
		}
		ev = append(ev, Evidence{Where: f.Place(), Detail: f.Detail()})
	}
	switch {
	case rep.Found() && wantFound:
		return passed(fmt.Sprintf("Your secret is in %s, %s: anyone who can pull the image can read it.", ref, rep.Places()), ev...)
	case rep.Found():
		return failed(withAdvice(fmt.Sprintf("Your secret is still in %s, %s.", ref, rep.Places()), secretAdvice(env, envVarOf(rep.Findings), lessons.SecretNeededUnsaid)), ev...)
	case !rep.Complete():
		// The message names the unreadable parts.
		return broken(errors.New(rep.Incomplete()))
	case wantFound:
		return failed(fmt.Sprintf("Your secret is nowhere in %s: build it with the secret as a build argument first.", ref))
	}
	return passed(fmt.Sprintf("Your secret is nowhere in %s: %s.", ref, rep.Searched()))
}

// envVarOf is the variable that holds the secret in the image config's
// Env, if it is there: the advice names it.
func envVarOf(findings []leak.Finding) string {
	for _, f := range findings {
		if !strings.HasPrefix(f.Field, "Config.Env[") {
			continue
		}
		if name, _, ok := strings.Cut(f.Excerpt, "="); ok && name != "" && !strings.ContainsAny(name, " \t") {
			return name
		}
	}
	return ""
}
