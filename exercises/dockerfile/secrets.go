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

// gluedSecretWords are the words of BuildKit's rule that name a secret
// even glued to other words (APPTOKEN, repoToken, DBPASSWORD), which
// BuildKit's rule, wanting underscores around them, lets through. key and
// auth are left out: MONKEY, AUTHOR.
var gluedSecretWords = []string{"apikey", "credential", "passwd", "password", "pword", "secret", "token"}

// LooksSecretGlued reports whether the name holds a secret word glued to
// others, with no allow word (TOKENFILE, secretVersion): a name BuildKit's
// rule misses but a reader would take for a secret. A name LooksSecret
// flags is not glued.
func LooksSecretGlued(name string) bool {
	if LooksSecret(name) {
		return false
	}
	lower := strings.ToLower(name)
	has := func(words []string) bool {
		for _, w := range words {
			if strings.Contains(lower, w) {
				return true
			}
		}
		return false
	}
	return has(gluedSecretWords) && !has(secretNameAllowWords)
}
