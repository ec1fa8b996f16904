package dockertest

import (
	"context"
	"testing"

	"github.com/moby/moby/client"
)

func TestStandInRuns(t *testing.T) {
	cli := Client(t)
	ref := "dockertutor-test/standin:probe"
	StandIn(t, cli, ref)
	t.Cleanup(func() { cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{Force: true}) })
	res, err := cli.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if res.Config == nil || len(res.Config.Cmd) == 0 || res.Config.Cmd[0] != "sh" {
		t.Fatalf("stand-in has no sh entry: %+v", res.Config)
	}
}
