package main

import (
	"context"
	"sync"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/classroom/outbox"
	"github.com/dockertutor/dockertutor/tui"
)

// runTutor opens the interactive tutor: full screen on a terminal, the
// plain line-oriented mode with --plain, TERM=dumb, or when stdout is not
// a terminal.
func runTutor(cmd *cobra.Command, g *globals) error {
	s, err := g.openSession() // the tutor shows the warnings on its first screen
	if err != nil {
		return err
	}
	defer s.Close()
	// The sender runs for the tutor's lifetime once the learner is in a
	// class (from the start, or from a join in the tutor), and this
	// machine's readiness is reported if it changed since the last report.
	ctx, cancel := context.WithCancel(cmd.Context())
	var senders sync.WaitGroup
	defer func() { cancel(); senders.Wait() }()
	startSender := sync.OnceFunc(func() {
		box := g.class.Load()
		// Doctor takes a moment; the sender does not wait for it.
		senders.Go(func() { appendReadiness(ctx, box, s.Course, joinReadiness) })
		senders.Go(func() { box.NewSender(nil, outbox.DefaultTiming()).Run(ctx) })
	})
	if g.class.Load() != nil {
		startSender()
	}
	join := func(ctx context.Context, address, name string) (string, error) {
		said, err := g.joinClass(ctx, s, address, name)
		if err == nil {
			startSender()
		}
		return said, err
	}
	err = tui.Run(cmd.Context(), s, tui.Options{
		Course:    s.Course,
		Plain:     g.plain || !g.io.Terminal,
		In:        g.io.In,
		Out:       g.io.Out,
		Poll:      g.poll,
		Width:     g.io.Width,
		Warnings:  s.Warnings(),
		Class:     g.classStatus,
		JoinClass: join,
	})
	return err
}
