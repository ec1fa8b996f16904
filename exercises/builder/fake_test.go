package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/moby/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
)

// newFake is a fake daemon whose builds answer with the given lines.
func newFake(t *testing.T, output ...string) *fakedaemon.Daemon {
	d := fakedaemon.New()
	d.OnBuild(func(context.Context, client.ImageBuildOptions) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(strings.Join(output, "\n"))), nil
	})
	t.Cleanup(d.CloseSessions)
	return d
}

// traceLine is one moby.buildkit.trace message as the daemon sends it.
func traceLine(t *testing.T, resp *controlapi.StatusResponse) string {
	t.Helper()
	raw, err := resp.MarshalVT()
	if err != nil {
		t.Fatal(err)
	}
	aux, err := json.Marshal(raw) // []byte marshals as base64
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"id":%q,"aux":%s}`, auxTrace, aux)
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ts(offset time.Duration) *timestamppb.Timestamp { return timestamppb.New(t0.Add(offset)) }

// collect gathers events for assertions.
type collect struct {
	mu     sync.Mutex
	events []Event
}

func (c *collect) add(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *collect) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.events))
	for _, e := range c.events {
		out = append(out, e.Kind.String()+" "+e.String())
	}
	return out
}
