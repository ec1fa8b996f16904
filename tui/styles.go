package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"

	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/markdown"
)

// palette is the handful of semantic colours every style is made from.
type palette struct {
	text, muted, border, accent   color.Color
	success, warning, danger      color.Color
	selection, barBg, barDangerBg color.Color
	onDanger                      color.Color
}

func newPalette(isDark, noColor bool) palette {
	if noColor {
		none := lipgloss.NoColor{}
		return palette{none, none, none, none, none, none, none, none, none, none, none}
	}
	ld := lipgloss.LightDark(isDark)
	c := lipgloss.Color
	return palette{
		text:        ld(c("#1F2328"), c("#E6E6E6")),
		muted:       ld(c("#59636E"), c("#9299A3")),
		border:      ld(c("#C4CAD1"), c("#4B5058")),
		accent:      ld(c("#0B5CAD"), c("#7AA2F7")),
		success:     ld(c("#1A7F37"), c("#73D08B")),
		warning:     ld(c("#9A6700"), c("#E5C07B")),
		danger:      ld(c("#CF222E"), c("#F7768E")),
		selection:   ld(c("#DDE7F5"), c("#2D3545")),
		barBg:       ld(c("#EEF1F4"), c("#1E222A")),
		barDangerBg: ld(c("#CF222E"), c("#A3243B")),
		onDanger:    c("#FFFFFF"),
	}
}

// Styles is every style the interface draws with. Components take what they
// need from here and never pick colours themselves.
type Styles struct {
	NoColor bool
	// Markdown is the glamour style matching the background.
	Markdown markdown.Style

	Border, BorderFocused lipgloss.Style
	Title, TitleFocused   lipgloss.Style
	TitleInfo             lipgloss.Style
	Muted, Strong         lipgloss.Style

	LessonTitle       lipgloss.Style
	Step, StepCurrent lipgloss.Style
	StepSelected      lipgloss.Style
	MarkPassed        lipgloss.Style
	MarkFailed        lipgloss.Style
	MarkStarted       lipgloss.Style
	MarkNotStarted    lipgloss.Style
	MarkCurrent       lipgloss.Style
	SearchMatch       lipgloss.Style

	Pass, Fail, Error lipgloss.Style
	EvidenceWhere     lipgloss.Style
	Evidence          lipgloss.Style

	OutCommand, OutStep, OutLine lipgloss.Style
	OutWarning, OutError, OutOK  lipgloss.Style

	Bar, BarDocker, BarDockerDown lipgloss.Style
	BarInfo, BarSuccess           lipgloss.Style
	BarWarning, BarError          lipgloss.Style
	BarProgress                   lipgloss.Style

	Prompt, PromptKey lipgloss.Style
	Input             textinput.Styles
	Help              help.Styles

	// marks and roles style what package present words, by its role:
	// a status mark in the outline, and the rest.
	marks, roles map[present.Role]lipgloss.Style
}

// NewStyles builds the styles for a dark or light background; noColor keeps
// only bold, faint and reverse, for NO_COLOR and monochrome terminals.
func NewStyles(isDark, noColor bool) Styles {
	p := newPalette(isDark, noColor)
	s := lipgloss.NewStyle
	st := Styles{NoColor: noColor}
	switch {
	case noColor:
		st.Markdown = markdown.Plain
	case isDark:
		st.Markdown = markdown.Dark
	default:
		st.Markdown = markdown.Light
	}

	st.Border = s().Foreground(p.border)
	st.BorderFocused = s().Foreground(p.accent)
	st.Title = s().Foreground(p.muted)
	st.TitleFocused = s().Foreground(p.accent).Bold(true)
	st.TitleInfo = s().Foreground(p.muted)
	st.Muted = s().Foreground(p.muted)
	st.Strong = s().Foreground(p.text).Bold(true)
	if noColor {
		st.Border = s().Faint(true)
		st.BorderFocused = s().Bold(true)
		st.Muted = s().Faint(true)
	}

	st.LessonTitle = s().Foreground(p.text).Bold(true)
	st.Step = s().Foreground(p.text)
	st.StepCurrent = s().Foreground(p.accent).Bold(true)
	st.StepSelected = s().Background(p.selection).Foreground(p.text)
	if noColor {
		st.StepSelected = s().Reverse(true)
	}
	st.MarkPassed = s().Foreground(p.success)
	st.MarkFailed = s().Foreground(p.danger)
	st.MarkStarted = s().Foreground(p.warning)
	st.MarkNotStarted = s().Foreground(p.muted)
	st.MarkCurrent = s().Foreground(p.accent).Bold(true)
	st.SearchMatch = s().Foreground(p.accent).Underline(true)

	st.Pass = s().Foreground(p.success).Bold(true)
	st.Fail = s().Foreground(p.danger).Bold(true)
	st.Error = s().Foreground(p.warning).Bold(true)
	st.EvidenceWhere = s().Foreground(p.muted)
	st.Evidence = s().Foreground(p.text)

	st.OutCommand = s().Foreground(p.accent).Bold(true)
	st.OutStep = s().Foreground(p.text).Bold(true)
	st.OutLine = s().Foreground(p.text)
	st.OutWarning = s().Foreground(p.warning)
	st.OutError = s().Foreground(p.danger).Bold(true)
	st.OutOK = s().Foreground(p.success).Bold(true)

	st.marks = map[present.Role]lipgloss.Style{
		present.RolePassed: st.MarkPassed, present.RoleFailed: st.MarkFailed, present.RoleStarted: st.MarkStarted,
	}
	st.roles = map[present.Role]lipgloss.Style{
		present.RolePassed: st.Pass, present.RoleFailed: st.Fail, present.RoleErrored: st.Error,
		present.RoleCommand: st.OutCommand, present.RoleHeading: st.OutStep, present.RoleWarning: st.OutWarning,
		present.RoleProblem: st.OutError, present.RoleDone: st.OutOK,
	}

	st.Bar = s().Background(p.barBg).Foreground(p.text)
	st.BarDocker = st.Bar.Foreground(p.success)
	st.BarDockerDown = s().Background(p.barDangerBg).Foreground(p.onDanger).Bold(true)
	st.BarInfo = st.Bar.Foreground(p.text)
	st.BarSuccess = st.Bar.Foreground(p.success).Bold(true)
	st.BarWarning = st.Bar.Foreground(p.warning)
	st.BarError = st.Bar.Foreground(p.danger).Bold(true)
	st.BarProgress = st.Bar.Foreground(p.muted)
	if noColor {
		st.Bar = s().Reverse(true)
		st.BarDocker, st.BarInfo, st.BarProgress, st.BarWarning = st.Bar, st.Bar, st.Bar, st.Bar
		st.BarDockerDown = st.Bar.Bold(true)
		st.BarSuccess, st.BarError = st.Bar.Bold(true), st.Bar.Bold(true)
	}

	st.Prompt = s().Foreground(p.text).Bold(true)
	st.PromptKey = s().Foreground(p.accent).Bold(true)

	st.Input = textinput.DefaultStyles(isDark)
	st.Input.Cursor.Blink = false
	st.Input.Focused.Prompt = st.Prompt
	st.Input.Focused.Text = s().Foreground(p.text)
	if noColor {
		st.Input.Focused.Placeholder = s().Faint(true)
	}

	st.Help = help.DefaultStyles(isDark)
	st.Help.ShortKey = s().Foreground(p.accent).Bold(true)
	st.Help.FullKey = st.Help.ShortKey
	st.Help.ShortDesc = s().Foreground(p.muted)
	st.Help.FullDesc = st.Help.ShortDesc
	st.Help.ShortSeparator = s().Foreground(p.border)
	st.Help.FullSeparator = st.Help.ShortSeparator
	st.Help.Ellipsis = st.Help.ShortSeparator
	if noColor {
		st.Help.ShortKey, st.Help.FullKey = s().Bold(true), s().Bold(true)
		st.Help.ShortDesc, st.Help.FullDesc = s(), s()
		st.Help.ShortSeparator, st.Help.FullSeparator, st.Help.Ellipsis = s(), s(), s()
	}
	return st
}

// statusMark is the style of a step's status mark in the outline.
func (st Styles) statusMark(r present.Role) lipgloss.Style {
	if s, ok := st.marks[r]; ok {
		return s
	}
	return st.MarkNotStarted
}

// role is the style of a verdict's summary, a check's mark, and a line
// of an action's output, by what it is.
func (st Styles) role(r present.Role) lipgloss.Style {
	if s, ok := st.roles[r]; ok {
		return s
	}
	return st.OutLine
}
