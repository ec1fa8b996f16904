// Package labels names the Docker labels that mark every object the tutor
// creates. Reset and cleanup find the tutor's objects by these labels
// (besides, by name, the step's images and the containers in the learner's
// namespace, see tutor.CleanDocker), so nothing else a learner made by hand
// is touched; the namespace label keeps a proof run's or a test's objects
// apart from the learner's.
package labels

import "github.com/dockertutor/dockertutor/lessons"

const (
	// Tool marks an object as made by dockertutor; its value is always ToolName.
	Tool = "org.dockertutor.tool"
	// Course holds the id of the course whose step made the object.
	Course = "org.dockertutor.course"
	// Step holds the id of the step that made the object.
	Step = "org.dockertutor.step"
	// Namespace holds the namespace the object was made in: the learner's
	// id, or a proof run's or a test's private name. Objects made before
	// learners had ids have none, and no learner's reset touches them.
	Namespace = "org.dockertutor.namespace"

	// ToolName is the value of the Tool label.
	ToolName = "dockertutor"
)

// For returns the labels for an object made by the given course step in a
// namespace.
func For(ns lessons.Namespace, course, step string) map[string]string {
	l := map[string]string{Tool: ToolName, Course: course, Step: step}
	if !ns.IsZero() {
		l[Namespace] = ns.String()
	}
	return l
}

// Owned reports whether a label set marks an object as the tutor's.
func Owned(l map[string]string) bool { return l[Tool] == ToolName }

// InNamespace reports whether a label set marks an object as the tutor's
// in the namespace.
func InNamespace(l map[string]string, ns lessons.Namespace) bool {
	return Owned(l) && l[Namespace] == ns.String()
}

// OwnedBy reports whether a label set marks an object as made by the
// course step in the namespace.
func OwnedBy(l map[string]string, ns lessons.Namespace, course, step string) bool {
	return InNamespace(l, ns) && l[Course] == course && l[Step] == step
}

// Filter is the daemon's label filter terms ("key=value") that select the
// tutor's objects of a course in a namespace. The daemon cannot select the
// absence of a label, so for the zero namespace callers check InNamespace
// on what it returns.
func Filter(ns lessons.Namespace, course string) []string {
	terms := []string{Tool + "=" + ToolName, Course + "=" + course}
	if !ns.IsZero() {
		terms = append(terms, Namespace+"="+ns.String())
	}
	return terms
}
