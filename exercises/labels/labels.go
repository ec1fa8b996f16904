// Package labels names the Docker labels that mark every object the tutor
// creates. Reset and cleanup find the tutor's objects by these labels only,
// so nothing a learner made by hand is ever touched.
package labels

const (
	// Tool marks an object as made by dockertutor; its value is always ToolName.
	Tool = "org.dockertutor.tool"
	// Course holds the id of the course whose step made the object.
	Course = "org.dockertutor.course"
	// Step holds the id of the step that made the object.
	Step = "org.dockertutor.step"

	// ToolName is the value of the Tool label.
	ToolName = "dockertutor"
)

// For returns the labels for an object made by the given course step.
func For(course, step string) map[string]string {
	return map[string]string{Tool: ToolName, Course: course, Step: step}
}

// Owned reports whether a label set marks an object as the tutor's.
func Owned(l map[string]string) bool { return l[Tool] == ToolName }
