package plain

import (
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// classStatus reads how the learner's class stands; false in no class.
func (u *plainUI) classStatus() (present.ClassStatus, bool) {
	if u.class == nil {
		return present.ClassStatus{}, false
	}
	return u.class()
}

// held says whether the instructor holds the room before st's lesson.
func (u *plainUI) held(st *lessons.Step) (*lessons.Lesson, bool) {
	c, ok := u.classStatus()
	if !ok {
		return nil, false
	}
	return present.HeldLesson(u.course, st, c.HoldLesson)
}

// sayClass says, before the prompt, the class and how its reports stand
// the first time, then what changed since it was last said: the
// instructor's message, reports that stopped getting through (or got
// through again).
func (u *plainUI) sayClass() {
	c, ok := u.classStatus()
	if !ok {
		return
	}
	was := u.saidClass
	u.saidClass = c
	if c.Message != was.Message && c.Message != "" {
		u.printf("%s\n", present.ClassMessage(c))
	}
	first := was.Title == ""
	if first || c.Trouble != was.Trouble && (c.Trouble != "" || was.Trouble != "") {
		u.printf("%s\n", present.ClassReport(c))
	}
}
