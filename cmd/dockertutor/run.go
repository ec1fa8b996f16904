package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

func newRunCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "run STEP",
		Short: "Perform the step's action (a build or a run), streaming its output",
		Long: "Perform the step's action on your Docker daemon, a build or a container run, printing\n" +
			"the equivalent docker command first and the output as it comes. Ctrl+C aborts it\n" +
			"and leaves no container behind.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, st, err := g.sessionStep(args[0])
			if err != nil {
				return err
			}
			defer s.Close()
			if st.Action == nil {
				return usageErrorf("step %s has no action: do it in your terminal, then `dockertutor check %s`", st.ID, st.ID)
			}
			return actionError(streamAction(cmd.Context(), cmd.OutOrStdout(), func(ctx context.Context, ev chan<- tutor.Event) error {
				return s.Run(ctx, st, ev)
			}))
		},
	}
}

// streamAction runs an action and prints its events as they come.
func streamAction(ctx context.Context, w io.Writer, do func(context.Context, chan<- tutor.Event) error) error {
	events := make(chan tutor.Event, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for e := range events {
			printEvent(w, e)
		}
	}()
	err := do(ctx, events)
	close(events)
	wg.Wait()
	return err
}

func printEvent(w io.Writer, e tutor.Event) {
	for _, l := range present.EventLines(e) {
		fmt.Fprintln(w, l.Text)
	}
}

// actionError is what an action's error leaves to say: the events
// already told a failed build or run, not an interruption (which the exit
// code says) nor an unreachable daemon (which needs its explanation).
func actionError(err error) error {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, tutor.ErrUnreachable):
		return err
	}
	return failed("")
}

// stepsArg resolves [STEP | --all]: one step, every step that can be
// checked, or the current step when neither is given.
func (g *globals) stepsArg(s *tutor.Session, args []string, all bool) ([]*lessons.Step, error) {
	if all && len(args) > 0 {
		return nil, usageErrorf("name one step, or use --all, not both")
	}
	if len(args) == 1 {
		st, err := g.step(s, args[0])
		if err == nil {
			err = g.notHeld(s, st)
		}
		if err != nil {
			return nil, err
		}
		return []*lessons.Step{st}, nil
	}
	if all {
		var out []*lessons.Step
		for _, st := range s.Course.Steps() {
			if st.Kind != lessons.KindRead && g.notHeld(s, st) == nil {
				out = append(out, st)
			}
		}
		return out, nil
	}
	p, err := s.Progress()
	if err != nil {
		return nil, err
	}
	return []*lessons.Step{s.CurrentStep(p)}, nil
}
