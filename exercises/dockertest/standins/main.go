// Command standins builds a local stand-in for every base image the
// built-in course names, so tests and offline classrooms never pull. An
// image already present is left alone.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lessons"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "standins:", err)
		os.Exit(1)
	}
}

func run() error {
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		return ps
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, img := range c.Images {
		if err := dockertest.EnsureStandIn(ctx, cli, img.Ref); err != nil {
			return fmt.Errorf("%s: %w", img.Ref, err)
		}
		fmt.Println("ready:", img.Ref)
	}
	return nil
}
