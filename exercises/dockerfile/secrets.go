package dockerfile

import (
	"regexp"
	"strings"
)

// BuildKit's SecretsUsedInArgOrEnv rule (frontend/dockerfile/dockerfile2llb/
// validations.go, getSecretsRegex) flags an ARG or ENV whose name has a
// secret word as its whole name, or as a word delimited by underscores, and
// no allow word. The lists are copied so the tutor can classify single names
// without a lint run; a test keeps them in step with BuildKit's own rule.
var (
	secretNameWords = []string{"apikey", "auth", "credential", "credentials", "key",
		"password", "pword", "passwd", "secret", "token"}
	secretNameAllowWords = []string{"public", "file", "version"}

	secretNamePattern      = wordPattern(secretNameWords)
	secretNameAllowPattern = wordPattern(secretNameAllowWords)
)

func wordPattern(words []string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:_|^)(?:` + strings.Join(words, "|") + `)(?:_|$)`)
}

// LooksSecret reports whether BuildKit's SecretsUsedInArgOrEnv rule would
// flag an ARG or ENV with this name: GITHUB_TOKEN and DB_PASSWORD look
// secret, TOKEN_FILE and PUBLIC_KEY do not, and neither does MONKEY
// (the word must stand alone between underscores).
func LooksSecret(name string) bool {
	return secretNamePattern.MatchString(name) && !secretNameAllowPattern.MatchString(name)
}
