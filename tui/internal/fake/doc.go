// Package fake is the learner's session as the interfaces' tests use it:
// the real tutor.Session on the shared fake daemon
// (exercises/daemon/fakedaemon), in a temporary workspace and state
// folder, with a fixed clock and canary, and the few hooks the tests need
// (the calls the interface made, a held or failing check, a held build,
// the watchers running). What the screens show comes from the real
// session and checks; a test sets up the daemon (an image, a stopped
// daemon), not the verdict.
package fake
