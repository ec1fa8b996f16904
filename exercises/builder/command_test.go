package builder

import "testing"

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{
			"plain build",
			Options{Dir: "/home/me/dockertutor/buildarg", Tags: []string{"buildargtest:latest"}},
			"docker build -t buildargtest:latest /home/me/dockertutor/buildarg",
		},
		{
			"build arg shown, secret build arg as a reference",
			Options{Dir: ".", Tags: []string{"a:1", "a:latest"}, BuildArgs: []BuildArg{
				{Name: "VERSION", Value: "1.2 beta"},
				{Name: "BUILD_REPO_SECRET", Value: "secr3t", Secret: true},
				{Name: "TOKEN", Value: "t0k", Secret: true, Env: "MY_TOKEN"},
			}},
			`docker build -t a:1 -t a:latest --build-arg 'VERSION=1.2 beta' --build-arg BUILD_REPO_SECRET="$BUILD_REPO_SECRET" --build-arg TOKEN="$MY_TOKEN" .`,
		},
		{
			"secrets need buildx",
			Options{Dir: "ws", Secrets: []Secret{
				{ID: "repo", Value: []byte("never printed")},
				{ID: "npm-token", Value: []byte("x"), Env: "NPM_TOKEN"},
				{ID: "aws", File: "/home/me/.aws/credentials"},
			}},
			"docker buildx build --secret id=repo,env=REPO_TOKEN --secret id=npm-token,env=NPM_TOKEN --secret id=aws,src=/home/me/.aws/credentials ws",
		},
		{
			"classic builder, other Dockerfile, target, no cache, labels",
			Options{Dir: "ws", Dockerfile: "docker/Dockerfile.prod", Builder: Classic, Target: "final", NoCache: true,
				Labels: map[string]string{"b": "it's", "a": "1"}},
			`DOCKER_BUILDKIT=0 docker build -f ws/docker/Dockerfile.prod --target final --no-cache --label a=1 --label 'b=it'\''s' ws`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Command(tc.opts); got != tc.want {
				t.Errorf("Command:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// On Podman the same build is podman build's, every builder alike, and a
// secret from the environment reaches it through a file: the remote
// client sends an env= secret empty.
func TestPodmanCommand(t *testing.T) {
	o := Options{Dir: "ws", Tags: []string{"a:1"}, Builder: Classic, Secrets: []Secret{
		{ID: "repo", Value: []byte("never printed"), Env: "REPO_TOKEN"},
		{ID: "aws", File: "/home/me/.aws/credentials"},
	}}
	want := `podman build -t a:1 --secret id=repo,src=<(printf %s "$REPO_TOKEN") --secret id=aws,src=/home/me/.aws/credentials ws`
	if got := PodmanCommand(o); got != want {
		t.Errorf("PodmanCommand:\n got %s\nwant %s", got, want)
	}
}
