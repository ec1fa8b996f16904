package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net"
	"strings"
	"syscall"
)

// Class names why the daemon cannot be used, or another problem the doctor
// found. The values are stable: they appear in `doctor --json`.
type Class string

const (
	ClassNoSocket    Class = "no-socket"         // the socket file (or pipe) does not exist
	ClassPermission  Class = "permission-denied" // the socket exists but this user may not open it
	ClassDaemonDown  Class = "daemon-down"       // connection refused: nothing listens
	ClassTimeout     Class = "timeout"           // connected or dialling, but no answer in time
	ClassAPITooOld   Class = "api-too-old"       // the daemon speaks an API below MinAPIVersion
	ClassTLS         Class = "tls"               // certificates, or TLS on one side only
	ClassNetwork     Class = "network"           // a tcp host that cannot be reached (DNS, routing)
	ClassConfig      Class = "config"            // the endpoint itself is wrong: bad DOCKER_HOST, unknown context
	ClassUnsupported Class = "unsupported"       // an endpoint kind the tutor cannot dial (fd://)
	ClassSSH         Class = "ssh"               // ssh:// could not log in or run docker there: keys, host key, no ssh or no remote docker
	ClassCanceled    Class = "canceled"          // the caller gave up
	ClassUnknown     Class = "unknown"

	// Problems found on a reachable daemon.
	ClassImageMissing     Class = "image-missing"
	ClassImageOtherDigest Class = "image-other-digest" // the tag is there at another digest than the course pins
	ClassNoBuildKit       Class = "no-buildkit"
	ClassWarning          Class = "warning" // something the docker CLI would only warn about

	// Problems of the learner's own docker CLI, whatever the daemon.
	ClassLegacyBuilder Class = "legacy-builder" // `docker build` is the legacy builder, or refuses to start
	ClassNoDockerCLI   Class = "no-docker-cli"  // no docker CLI on the PATH
)

// Classify names the reason behind a connection error. It looks at the
// error chain first (errno, TLS and x509 types, deadlines) and falls back to
// the moby client's messages, which do not always wrap the cause.
func Classify(err error) Class {
	if err == nil {
		return ""
	}
	var ce *ConnectError
	if errors.As(err, &ce) && ce.Class != "" {
		return ce.Class
	}
	var re *ResolveError
	if errors.As(err, &re) {
		return ClassConfig
	}
	var se *sshError
	if errors.As(err, &se) {
		return se.class()
	}
	if isTLSError(err) {
		return ClassTLS
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return ClassPermission
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOENT):
		return ClassNoSocket
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassDaemonDown
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return ClassTimeout
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ClassNetwork
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ClassNetwork
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return ClassTimeout
	}

	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "api version") && (strings.Contains(msg, "not supported") || strings.Contains(msg, "minimum supported")),
		strings.Contains(msg, "client version") && strings.Contains(msg, "too new"):
		return ClassAPITooOld
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "access is denied"):
		return ClassPermission
	case strings.Contains(msg, "no such file or directory"), strings.Contains(msg, "cannot find the file"):
		return ClassNoSocket
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "actively refused"),
		strings.Contains(msg, "is the docker daemon running"):
		return ClassDaemonDown
	case strings.Contains(msg, "timeout"), strings.Contains(msg, "timed out"), strings.Contains(msg, "deadline exceeded"):
		return ClassTimeout
	case strings.Contains(msg, "no such host"), strings.Contains(msg, "no route to host"), strings.Contains(msg, "network is unreachable"):
		return ClassNetwork
	}
	return ClassUnknown
}

// isTLSError recognises certificate and handshake failures, and the two
// symptoms of TLS on one side only.
func isTLSError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
		record           tls.RecordHeaderError
		alert            tls.AlertError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{
		"x509:", "tls:", "certificate", "handshake failure", "bad certificate",
		"http request to an https server", // plain client, TLS daemon (Go's TLS server says so)
		"malformed http response",         // plain client, something not speaking HTTP (often TLS)
		"http response to https client",   // TLS client, plain daemon
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
