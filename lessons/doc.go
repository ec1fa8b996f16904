// Package lessons owns the course model: what a course pack is on disk,
// loading it from any fs.FS (the embedded course or an instructor's folder),
// validating it with problems that point at file:line, and filling a step's
// text with the learner's own values.
//
// It knows nothing of Docker or the terminal: a check is declared here as
// typed data and evaluated by package exercises.
package lessons
