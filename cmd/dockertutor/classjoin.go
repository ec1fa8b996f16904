package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/classroom/outbox"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// How long a command that exits next tries to deliver what it reported,
// and how long `class leave` tries before it drops what is left. The
// outbox keeps what does not go; no command fails for it.
const (
	lastDelivery  = 2 * time.Second
	leaveDelivery = 3 * time.Second
	// joinReadiness bounds doctor at join: an unreachable daemon answers
	// within 2 s, and the readiness says so.
	joinReadiness = 5 * time.Second
)

func newClassJoinCmd(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "join URL --name NAME",
		Short: "Join an instructor's class: your tutor reports your progress to it",
		Long: "Join the class whose join address the instructor's screen shows (http://HOST:PORT/join/CODE).\n" +
			"From then on your tutor reports the steps you open, your check results, the hints and\n" +
			"solutions you ask for and how many answers you tried. It never sends your secret, your\n" +
			"answers, your files or what a check found. `dockertutor class leave` stops it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := outbox.ParseJoinURL(args[0]); err != nil {
				return &usageError{err: err}
			}
			if name == "" {
				return usageErrorf("--name NAME is needed: the name your instructor sees")
			}
			s, err := g.session()
			if err != nil {
				return err
			}
			defer s.Close()
			said, err := g.joinClass(cmd.Context(), s, args[0], name)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), said)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the name the instructor sees (required)")
	return cmd
}

func newClassLeaveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "leave",
		Short: "Leave the class: your tutor stops reporting to it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			box := outbox.Open(stateDir())
			m, ok, err := box.Membership()
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintln(cmd.OutOrStdout(), present.NotInAClass)
				return nil
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), leaveDelivery)
			box.NewSender(nil, outbox.DefaultTiming()).DeliverNow(ctx)
			cancel()
			title := m.Title
			if st, _, err := box.Status(); err == nil && st.Delivery.Class.Title != "" {
				title = st.Delivery.Class.Title
			}
			undelivered, err := box.Leave()
			if err != nil {
				return err
			}
			g.class.Store(nil)
			fmt.Fprintln(cmd.OutOrStdout(), present.LeftClass(title, undelivered))
			return nil
		},
	}
}

// joinClass joins the class at the join address under name, saves the
// membership, reports this machine's readiness and from then on the
// session's activity; it returns what to tell the learner. A bad address
// or name is a usage error, a refusal says the server's sentence.
func (g *globals) joinClass(ctx context.Context, s *tutor.Session, address, name string) (string, error) {
	link, err := outbox.ParseJoinURL(address)
	if err != nil {
		return "", &usageError{err: err}
	}
	p, err := s.Progress()
	if err != nil {
		return "", err
	}
	box := outbox.Open(stateDir())
	jctx, cancel := context.WithTimeout(ctx, outbox.DefaultTiming().Request)
	defer cancel()
	m, class, err := box.Join(jctx, outbox.Client(outbox.DefaultTiming()), link,
		outbox.Joiner{Name: name, Learner: p.Learner, Course: s.Course.ID, Secret: p.Secret})
	var refused *outbox.Problem
	switch {
	case errors.Is(err, outbox.ErrNoName), errors.Is(err, outbox.ErrSecretName):
		return "", &usageError{err: fmt.Errorf("--name: %w", err)}
	case errors.As(err, &refused):
		return "", failed("the class refused: " + refused.Sentence)
	case err != nil:
		return "", failed(err.Error())
	}
	g.class.Store(box)
	g.reported.Store(true)
	if err := appendReadiness(ctx, box, s.Course, joinReadiness); err != nil {
		fmt.Fprintln(g.io.Err, "dockertutor: warning: "+err.Error())
	}
	// The room shows the learner where they are from the start, not only
	// once they open another step: joining opens the current step again,
	// as the tutor does when it starts, and the session reports it.
	if st := s.CurrentStep(p); st != nil && g.notHeld(s, st) == nil {
		if _, _, err := s.Enter(st); err != nil {
			fmt.Fprintln(g.io.Err, "dockertutor: warning: "+err.Error())
		}
	}
	return present.JoinedClass(cmp.Or(class.Title, m.Title), m.Name), nil
}

// observe is every session's observer: it reports to the learner's class,
// when they are in one.
func (g *globals) observe(a tutor.Activity) {
	if box := g.class.Load(); box != nil {
		box.Observe(a)
		g.reported.Store(true)
	}
}

// appendReadiness asks doctor about this machine for the course's images
// and reports it, unless it is what was reported last.
func appendReadiness(ctx context.Context, box *outbox.Box, c *lessons.Course, bound time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	_, err := box.AppendReadiness(outbox.ReadinessOf(engine.Doctor(ctx, c.Images)), time.Now())
	return err
}

// classOf is the class folder of a learner who joined a class in this
// course, for the session's observer; nil otherwise. A membership file
// that cannot be read is the learner's to fix with `class join`; the
// tutor works without it, and the error says so.
func classOf(c *lessons.Course) (*outbox.Box, error) {
	box := outbox.Open(stateDir())
	m, ok, err := box.Membership()
	if err != nil {
		return nil, fmt.Errorf("nothing is reported to your class: %w; join it again with `dockertutor class join`", err)
	}
	if !ok || m.Course != c.ID {
		return nil, nil
	}
	return box, nil
}

// deliverBeforeExit makes the one bounded attempt a command that reported
// something makes to deliver it before the process exits (with what
// earlier commands left waiting). A command that reported nothing, such
// as `list`, does not wait for a class server that may be away.
func (g *globals) deliverBeforeExit(ctx context.Context) {
	box := g.class.Load()
	if box == nil || !g.reported.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lastDelivery)
	defer cancel()
	box.NewSender(nil, outbox.DefaultTiming()).DeliverNow(ctx)
}

// classStatus is what the front ends show of the class, read from the
// class folder; false when the learner is in no class.
func (g *globals) classStatus() (present.ClassStatus, bool) {
	box := g.class.Load()
	if box == nil {
		return present.ClassStatus{}, false
	}
	st, ok, err := box.Status()
	if !ok || err != nil {
		return present.ClassStatus{}, false
	}
	c := present.ClassStatus{
		Title: st.Delivery.Class.Title, Waiting: st.Waiting,
		Trouble: present.ClassTrouble(st.Delivery.Trouble), Detail: st.Delivery.Detail,
		Message: st.Delivery.Class.Message, HoldLesson: st.Delivery.Class.HoldLesson,
	}
	if st.AppendFail != nil {
		c.Trouble, c.Detail = present.ClassNotAppended, st.AppendFail.Error()
	}
	return c, true
}
