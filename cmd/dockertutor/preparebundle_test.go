package main

import "testing"

func TestDaemonJSONLines(t *testing.T) {
	for hostPort, want := range map[string]string{
		"127.0.0.1:5000":    `{"registry-mirrors": ["http://127.0.0.1:5000"]}`,
		"localhost:5000":    `{"registry-mirrors": ["http://localhost:5000"]}`,
		"192.168.1.20:5000": `{"registry-mirrors": ["http://192.168.1.20:5000"], "insecure-registries": ["192.168.1.20:5000"]}`,
	} {
		if got := daemonJSONLines(hostPort); got != want {
			t.Errorf("%s: %s, want %s", hostPort, got, want)
		}
	}
}

func TestNormalPlatform(t *testing.T) {
	for in, want := range map[string]string{"linux/x86_64": "linux/amd64", "linux/aarch64": "linux/arm64", "linux/arm64": "linux/arm64"} {
		if got := normalPlatform(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
