package dockerfile

import "testing"

// A typical multi-stage Dockerfile of the course: the figure to watch is the
// cost of one check (the analysis runs on every workspace change).
var benchDockerfile = []byte(`# syntax=docker/dockerfile:1
ARG NODE_VERSION=22.11.0
FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /src
COPY package*.json ./
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc --mount=type=cache,target=/root/.npm npm ci
COPY . .
ARG BUILD_REPO_SECRET
RUN npm run build
FROM nginx:1.27.3-alpine
COPY --from=build /src/dist /usr/share/nginx/html
ENV APP_VERSION=1.0
EXPOSE 80
`)

func BenchmarkAnalyze(b *testing.B) {
	opts := Options{BuildArgs: map[string]string{"BUILD_REPO_SECRET": "secr3t"}}
	for b.Loop() {
		if _, err := Analyze(benchDockerfile, opts); err != nil {
			b.Fatal(err)
		}
	}
}
