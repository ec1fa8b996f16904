package dockerfile

import (
	"fmt"
	"strings"
	"testing"
)

var secretNameCases = map[string]bool{
	"TOKEN":              true,
	"token":              true,
	"GITHUB_TOKEN":       true,
	"DB_PASSWORD":        true,
	"BUILD_REPO_SECRET":  true,
	"secret_MESSAGE":     true,
	"API_KEY":            true,
	"APIKEY":             true,
	"AWS_CREDENTIALS":    true,
	"NPM_AUTH_TOKEN":     true,
	"SSH_KEY":            true,
	"MY_PASSWD":          true,
	"PWORD":              true,
	"AUTH":               true,
	"TOKEN_FILE":         false, // allow word
	"PUBLIC_KEY":         false,
	"SECRET_VERSION":     false,
	"MONKEY":             false, // "key" is not a word of its own
	"TOKENS":             false,
	"PASSWORDLESS":       false,
	"KEYBOARD_LAYOUT":    false,
	"NODE_VERSION":       false,
	"AUTHOR":             false,
	"SECRETPASSWORD":     false, // no underscore between the words
	"HTTP_PROXY":         false,
	"CREDENTIAL_HELPER":  true,
	"X_SECRET_Y":         true,
	"_SECRET_":           true,
	"PUBLIC_TOKEN_VALUE": false,
}

func TestLooksSecret(t *testing.T) {
	for name, want := range secretNameCases {
		if got := LooksSecret(name); got != want {
			t.Errorf("LooksSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestLooksSecretAgreesWithBuildKit keeps the copied word lists in step with
// BuildKit's SecretsUsedInArgOrEnv rule: for every name, the analysis flags
// exactly the ARGs and ENVs that BuildKit's own linter warns about.
func TestLooksSecretAgreesWithBuildKit(t *testing.T) {
	var b strings.Builder
	b.WriteString("FROM scratch\n")
	for name := range secretNameCases {
		fmt.Fprintf(&b, "ARG %s\nENV %s=x\n", name, name)
	}
	a, err := Analyze([]byte(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	warned := map[string]bool{}
	for _, w := range a.Warnings {
		if w.Rule == "SecretsUsedInArgOrEnv" {
			warned[fmt.Sprintf("line %d", w.Line)] = true
		}
	}
	checked := 0
	for _, s := range a.Stages {
		for _, v := range append(append([]Variable(nil), s.Args...), s.Env...) {
			checked++
			if got := warned[fmt.Sprintf("line %d", v.Line)]; got != v.LooksSecret {
				t.Errorf("%s %s: BuildKit warns %v, LooksSecret %v", v.Instruction, v.Name, got, v.LooksSecret)
			}
		}
	}
	if checked != 2*len(secretNameCases) {
		t.Fatalf("checked %d variables, want %d", checked, 2*len(secretNameCases))
	}
}

func TestLooksSecretGlued(t *testing.T) {
	for name, want := range map[string]bool{
		"APPTOKEN": true, "repoToken": true, "DBPASSWORD": true, "myApiKey": true, "apiKey": false, "MYSECRET": true, "githubCredentials": true,
		"GITHUB_TOKEN": false, // BuildKit's rule flags it: not glued
		"TOKENFILE":    false, "secretVersion": false, "MONKEY": false, "AUTHOR": false, "NODE_ENV": false, "PORT": false,
	} {
		if got := LooksSecretGlued(name); got != want {
			t.Errorf("LooksSecretGlued(%q) = %v, want %v", name, got, want)
		}
	}
}
