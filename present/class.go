package present

import (
	"fmt"

	"github.com/dockertutor/dockertutor/lessons"
)

// ClassTrouble is why a learner's reports are not getting through to
// their class (the outbox's reasons, named here so that the front ends,
// which know nothing of the class, can word them).
type ClassTrouble string

const (
	ClassNoAnswer    ClassTrouble = "no-answer"
	ClassNotKnown    ClassTrouble = "not-known"
	ClassRefused     ClassTrouble = "refused"
	ClassSlowedDown  ClassTrouble = "slowed-down"
	ClassNotAppended ClassTrouble = "not-appended"
)

// ClassStatus is what the front ends show of the class a learner joined.
type ClassStatus struct {
	// Title names the class.
	Title string
	// Waiting counts the reports not yet delivered.
	Waiting int
	// Trouble is why they wait, "" when reports get through; Detail is
	// the server's own sentence, when it said one.
	Trouble ClassTrouble
	Detail  string
	// Message is the instructor's one-line message to the room.
	Message string
	// HoldLesson is the id of the last lesson open to the room; "" when
	// nothing is held.
	HoldLesson string
}

// ClassMarks are the short marks of the class in the status line.
const (
	classDeliveredMark = "✓"
	classWaitingMark   = "…"
)

// ClassLine is the class's part of the status line: its title and
// whether the reports get through, with why not in a few words.
func ClassLine(c ClassStatus) string {
	switch {
	case c.Waiting == 0 && c.Trouble == "":
		return fmt.Sprintf("Class %s %s", c.Title, classDeliveredMark)
	case c.Trouble == "":
		return fmt.Sprintf("Class %s %s%d", c.Title, classWaitingMark, c.Waiting)
	case c.Waiting == 0:
		return fmt.Sprintf("Class %s: %s", c.Title, classTroubleShort[c.Trouble])
	}
	return fmt.Sprintf("Class %s %s%d: %s", c.Title, classWaitingMark, c.Waiting, classTroubleShort[c.Trouble])
}

// classTroubleShort is why reports wait, for the status line.
var classTroubleShort = map[ClassTrouble]string{
	ClassNoAnswer:    "no answer",
	ClassNotKnown:    "join again",
	ClassRefused:     "refused",
	ClassSlowedDown:  "asked to wait",
	ClassNotAppended: "not saved",
}

// ClassReport says in full how the learner's reports stand, for plain
// mode and the commands: the class, what waits and why.
func ClassReport(c ClassStatus) string {
	if c.Waiting == 0 && c.Trouble == "" {
		return fmt.Sprintf("Class %s: your reports are delivered.", c.Title)
	}
	if c.Trouble == "" {
		return fmt.Sprintf("Class %s: %d report(s) on their way.", c.Title, c.Waiting)
	}
	return fmt.Sprintf("Class %s: %d report(s) waiting: %s.", c.Title, c.Waiting, classTroubleWords(c))
}

// ClassMark is ClassLine for a narrow status line: whether the reports
// get through, without the title and the reason.
func ClassMark(c ClassStatus) string {
	switch {
	case c.Waiting == 0 && c.Trouble == "":
		return "Class " + classDeliveredMark
	case c.Waiting == 0:
		return "Class !"
	}
	return fmt.Sprintf("Class %s%d", classWaitingMark, c.Waiting)
}

// classTroubleWords says why reports wait, in a few words.
func classTroubleWords(c ClassStatus) string {
	switch c.Trouble {
	case ClassNoAnswer:
		return "the class server does not answer; they go when it does"
	case ClassNotKnown:
		return "the class no longer knows you: join it again"
	case ClassSlowedDown:
		return "the class server asked to wait a moment"
	case ClassNotAppended:
		return "could not be saved: " + c.Detail
	}
	if c.Detail != "" {
		return "the class server refused them: " + c.Detail
	}
	return "the class server refused them"
}

// ClassMessage is the instructor's message as the status line shows it,
// "" when there is none.
func ClassMessage(c ClassStatus) string {
	if c.Message == "" {
		return ""
	}
	return "Instructor: " + c.Message
}

// HeldLesson says whether the instructor holds the room before st's
// lesson: it comes after the class's HoldLesson. It returns the lesson to
// name.
func HeldLesson(course *lessons.Course, st *lessons.Step, hold string) (*lessons.Lesson, bool) {
	if hold == "" || st == nil || st.Lesson == nil {
		return nil, false
	}
	for _, l := range course.Lessons {
		if l.ID == hold {
			return st.Lesson, st.Lesson.Number > l.Number
		}
	}
	return nil, false // a lesson this course does not have holds nothing
}

// LessonOpensSoon is what a learner sees instead of a held lesson's step.
func LessonOpensSoon(l *lessons.Lesson) string {
	return fmt.Sprintf("Lesson %d opens soon: your instructor will open it.", l.Number)
}

// JoinedClass says what joining did and what happens next.
func JoinedClass(title, name string) string {
	return fmt.Sprintf("You joined the class %s as %s.\n"+
		"From now on your tutor reports to the class the steps you open, your check results, the hints\n"+
		"and solutions you ask for and how many answers you tried; never your secret, your answers or your files.\n"+
		"`dockertutor class leave` stops it.", title, name)
}

// LeftClass says the learner left, and what was not delivered.
func LeftClass(title string, undelivered int) string {
	if undelivered == 0 {
		return fmt.Sprintf("You left the class %s; everything your tutor reported was delivered.", title)
	}
	return fmt.Sprintf("You left the class %s; %d report(s) the class server had not received were dropped.", title, undelivered)
}

// NotInAClass is the answer to leaving when there is nothing to leave.
const NotInAClass = "You are not in a class: `dockertutor class join URL --name NAME` joins one."

// The tutor's questions when the learner joins a class from it, and what
// it says while it asks the server.
const (
	JoinAddressLabel = "Join a class: its address (or the join command) from the instructor's screen: "
	JoinNameLabel    = "Your name, as the instructor will see it: "
	Joining          = "Joining the class…"
)

// TimeOnStep words how long a learner has been on a step, for a glance at
// a projector or a terminal: "<1 min", "12 min", "1 h 05".
func TimeOnStep(seconds int64) string {
	switch {
	case seconds < 60:
		return "<1 min"
	case seconds < 3600:
		return fmt.Sprintf("%d min", seconds/60)
	}
	return fmt.Sprintf("%d h %02d", seconds/3600, seconds%3600/60)
}
