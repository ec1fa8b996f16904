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
	n := len(rep.Findings) + rep.Omitted
	switch {
	case rep.Found() && wantFound:
		return passed(fmt.Sprintf("Your secret is in %s, in %d place(s): anyone who can pull the image can read it.", ref, n), ev...)
	case rep.Found():
		return failed(fmt.Sprintf("Your secret is still in %s, in %d place(s).", ref, n), ev...)
	case !rep.Complete():
		for _, p := range rep.Problems {
			ev = append(ev, Evidence{Where: "scan", Detail: p})
		}
		return broken(fmt.Errorf("parts of %s could not be searched, so the scan proves nothing: %s", ref, strings.Join(rep.Problems, "; ")))
	case wantFound:
		return failed(fmt.Sprintf("Your secret is nowhere in %s: build it with the secret as a build argument first.", ref))
	}
	return passed(fmt.Sprintf("Your secret is nowhere in %s: not in its config, its history (%d layers), nor in any layer's files.", ref, rep.Layers))
}
