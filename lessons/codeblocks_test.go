package lessons

import (
	"reflect"
	"testing"
)

func TestCodeBlocks(t *testing.T) {
	md := "Run:\n\n```sh\ncd /w\ndocker build -t x .\n```\n\n1. In a list:\n   ~~~bash\n   echo hi\n   ~~~\n\n````\n```\ninner\n```\n````\n\n``` a ` b ```\n\n```dockerfile\nFROM alpine:3.22"
	want := []CodeBlock{
		{Lang: "sh", Code: "cd /w\ndocker build -t x .\n"},
		{Lang: "bash", Code: "echo hi\n"},
		{Lang: "", Code: "```\ninner\n```\n"},
		{Lang: "dockerfile", Code: "FROM alpine:3.22\n"},
	}
	if got := CodeBlocks(md); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	for lang, shell := range map[string]bool{"sh": true, "Bash": true, "console": true, "": false, "dockerfile": false, "text": false} {
		if (CodeBlock{Lang: lang}).Shell() != shell {
			t.Errorf("%q: Shell() is %v", lang, !shell)
		}
	}
}
