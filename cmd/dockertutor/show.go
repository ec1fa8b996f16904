package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/markdown"
)

func newShowCmd(g *globals) *cobra.Command {
	var width int
	cmd := &cobra.Command{
		Use:   "show STEP",
		Short: "Print a step's text, rendered, with your own values filled in",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, st, err := g.sessionStep(args[0])
			if err != nil {
				return err
			}
			defer s.Close()
			// Showing a step opens it: its clock starts and its starter
			// files are laid out, as when the tutor moves to it.
			p, _, err := s.Enter(st)
			if err != nil {
				return err
			}
			if width <= 0 {
				width = g.io.Width
			}
			md, err := stepMarkdown(s, st, p)
			if err != nil {
				return err
			}
			style := markdown.Dark
			if g.plain || !g.io.Terminal {
				style = markdown.Plain
			}
			out, err := markdown.New().Render(md, width, style)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), out)
			return nil
		},
	}
	cmd.Flags().IntVar(&width, "width", 0, "wrap the text at this many columns (default: the terminal's width, 80 when piped)")
	return cmd
}

// stepMarkdown is everything the learner needs about a step, as markdown:
// the text with their values, the choices of a quiz, where to work, and
// the hints they already revealed.
func stepMarkdown(s *tutor.Session, st *lessons.Step, p progress.Progress) (string, error) {
	text, err := st.Render(s.Values(st, p))
	if err != nil {
		return "", fmt.Errorf("step %s: %w", st.ID, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", st.Number, st.Title)
	b.WriteString(text)
	if st.Quiz != nil {
		b.WriteString("\n\n")
		for _, c := range st.Quiz.Choices {
			fmt.Fprintf(&b, "- **%s** %s\n", c.ID, c.Text)
		}
		how := "one choice"
		if st.Quiz.Multiple {
			how = "every right choice, such as a,c"
		}
		fmt.Fprintf(&b, "\nAnswer with %s: `dockertutor answer %s ID`\n", how, st.ID)
	}
	if st.Kind == lessons.KindAnswer {
		fmt.Fprintf(&b, "\n\nAnswer with `dockertutor answer %s VALUE`\n", st.ID)
	}
	if st.Kind == lessons.KindExercise {
		fmt.Fprintf(&b, "\n\n**Your folder:** `%s`\n", s.Work.StepDir(st))
	}
	if hints := s.RevealedHints(st, p); len(hints) > 0 {
		b.WriteString("\n\n**Hints so far**\n\n")
		for i, h := range hints {
			fmt.Fprintf(&b, "%d. %s\n", i+1, h)
		}
	} else if len(st.Hints) > 0 {
		fmt.Fprintf(&b, "\n\n%d hint(s) available: `dockertutor hint %s`\n", len(st.Hints), st.ID)
	}
	return b.String(), nil
}
