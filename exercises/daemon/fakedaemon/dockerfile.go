package fakedaemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// BuildDockerfiles makes the daemon answer builds as the classic builder
// does, from the Dockerfile in the build context: the "Step n/m" stream,
// then the image of the target stage (the last one by default), tagged as
// asked, whose history has one entry per instruction (a target stage is
// not modelled: the image is always the last stage's). A RUN in a stage
// that declared build arguments records them, values and all, the way
// Docker's history does ("|1 NAME=value /bin/sh -c …"): that is the leak
// the course teaches. An instruction Docker does not know fails the
// build with the daemon's message. Only ARG, FROM and RUN are read; the
// other instructions are recorded as they are.
func (d *Daemon) BuildDockerfiles() {
	d.OnBuild(func(ctx context.Context, o client.ImageBuildOptions) (io.ReadCloser, error) {
		name := o.Dockerfile
		if name == "" {
			name = "Dockerfile"
		}
		dockerfile, ok := d.BuildContext()[name]
		if !ok {
			return stream(buildError("Cannot locate specified Dockerfile: " + name)), nil
		}
		return d.buildDockerfile(dockerfile, o)
	})
}

// stream is a build response of JSON messages.
func stream(msgs ...map[string]any) io.ReadCloser {
	var b strings.Builder
	for _, m := range msgs {
		line, _ := json.Marshal(m)
		b.Write(line)
		b.WriteByte('\n')
	}
	return io.NopCloser(strings.NewReader(b.String()))
}

// buildError is the message that ends a failed build.
func buildError(msg string) map[string]any {
	return map[string]any{"errorDetail": map[string]string{"message": msg}, "error": msg}
}

// knownInstructions are the Dockerfile instructions.
var knownInstructions = []string{"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
	"LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}

func (d *Daemon) buildDockerfile(dockerfile string, o client.ImageBuildOptions) (io.ReadCloser, error) {
	var instructions []string
	for n, line := range strings.Split(dockerfile, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keyword, _, _ := strings.Cut(line, " ")
		if !slices.Contains(knownInstructions, strings.ToUpper(keyword)) {
			return stream(buildError(fmt.Sprintf("dockerfile parse error on line %d: unknown instruction: %s", n+1, keyword))), nil
		}
		instructions = append(instructions, line)
	}
	var (
		msgs   []map[string]any
		stages [][]Step
		args   []string // the build args the current stage declared and got
	)
	for i, line := range instructions {
		msgs = append(msgs, map[string]any{"stream": fmt.Sprintf("Step %d/%d : %s\n", i+1, len(instructions), line)})
		keyword, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(keyword) {
		case "FROM":
			stages, args = append(stages, []Step{{CreatedBy: "/bin/sh -c #(nop) ADD file:base in / ", Files: []File{{Name: "bin/sh", Body: []byte("#!busybox")}}}}), nil
			continue
		case "ARG":
			name, _, _ := strings.Cut(strings.TrimSpace(rest), "=")
			if v, ok := o.BuildArgs[name]; ok && v != nil {
				args = append(args, name+"="+*v)
			}
		}
		if len(stages) == 0 {
			return stream(append(msgs, buildError("no build stage in current context"))...), nil
		}
		step := Step{CreatedBy: "/bin/sh -c #(nop) " + line}
		if strings.EqualFold(keyword, "RUN") {
			step = Step{CreatedBy: "/bin/sh -c " + rest, Layer: true}
			if len(args) > 0 {
				step.CreatedBy = fmt.Sprintf("|%d %s %s", len(args), strings.Join(args, " "), step.CreatedBy)
			}
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], step)
	}
	if len(stages) == 0 {
		return stream(buildError("the Dockerfile has no instructions")), nil
	}
	final := stages[len(stages)-1]
	export, id, err := Export(final, nil, ExportOptions{})
	if err != nil {
		return nil, err
	}
	img := Image{ID: id, Tags: slices.Clone(o.Tags), Labels: maps.Clone(o.Labels), Export: export, Created: d.now()}
	for i := len(final) - 1; i >= 0; i-- {
		img.History = append(img.History, image.HistoryResponseItem{CreatedBy: final[i].CreatedBy})
	}
	d.replaceTags(img.Tags)
	d.AddImage(img)
	msgs = append(msgs,
		map[string]any{"stream": " ---> " + strings.TrimPrefix(id, "sha256:")[:12] + "\n"},
		map[string]any{"aux": map[string]string{"ID": id}},
		map[string]any{"stream": "Successfully built " + strings.TrimPrefix(id, "sha256:")[:12] + "\n"})
	for _, tag := range o.Tags {
		msgs = append(msgs, map[string]any{"stream": "Successfully tagged " + tag + "\n"})
	}
	return stream(msgs...), nil
}

// replaceTags takes tags off the images that had them, as a build that
// tags a new image does.
func (d *Daemon) replaceTags(tags []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, img := range d.images {
		img.Tags = slices.DeleteFunc(img.Tags, func(t string) bool { return slices.Contains(tags, t) })
	}
}
