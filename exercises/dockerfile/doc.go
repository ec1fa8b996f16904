// Package dockerfile reads a learner's Dockerfile with BuildKit's own parser
// and answers the questions the course's checks ask about it: what each
// stage is built FROM and how far that base can move (no tag, latest, a
// major-only tag, a full version, a digest, …), what the final stage copies
// from earlier stages, which RUN instructions mount which secrets, which
// ARG and ENV names look secret, and which ARG values BuildKit writes into
// the image history. It also collects BuildKit's lint warnings.
//
// Everything is static: the package never talks to Docker and never pulls
// an image. Results are plain data (see Analysis) so they can be printed as
// JSON and compared in tests.
package dockerfile
