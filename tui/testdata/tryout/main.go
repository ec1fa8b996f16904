// Command tryout runs the interface on a real session, to look at it in a
// terminal. Not part of the build (testdata). With -proxy, Docker is
// reached through a local socket that SIGUSR1 closes and SIGUSR2 reopens,
// to watch the interface lose the daemon and find it again.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui"
)

func main() {
	course := flag.String("course", "", "course folder (default: built in)")
	ws := flag.String("workspace", "/tmp/dt-tui-ws", "workspace")
	state := flag.String("state", "/tmp/dt-tui-state", "state dir")
	plain := flag.Bool("plain", false, "plain mode")
	proxy := flag.String("proxy", "", "serve Docker through this unix socket")
	flag.Parse()
	if *proxy != "" {
		go serveProxy(*proxy, "/var/run/docker.sock")
		os.Setenv("DOCKER_HOST", "unix://"+*proxy)
	}
	var c *lessons.Course
	var ps lessons.Problems
	if *course != "" {
		c, ps = lessons.FromDir(*course)
	} else {
		c, ps = lessons.Builtin()
	}
	if len(ps) > 0 {
		fmt.Fprintln(os.Stderr, ps)
		os.Exit(2)
	}
	s, err := tutor.Open(tutor.Options{Course: c, WorkspaceRoot: *ws, StateDir: *state})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := tui.Run(ctx, s, tui.Options{Course: s.Course, Plain: *plain}); err != nil {
		fmt.Fprintln(os.Stderr, "tryout:", err)
		os.Exit(1)
	}
}

func serveProxy(path, target string) {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	var mu sync.Mutex
	var conns []net.Conn
	listen := func() net.Listener {
		os.Remove(path)
		l, err := net.Listen("unix", path)
		if err != nil {
			panic(err)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				d, err := net.Dial("unix", target)
				if err != nil {
					c.Close()
					continue
				}
				mu.Lock()
				conns = append(conns, c, d)
				mu.Unlock()
				go func() { io.Copy(d, c); d.Close() }()
				go func() { io.Copy(c, d); c.Close() }()
			}
		}()
		return l
	}
	l := listen()
	for s := range sig {
		switch s {
		case syscall.SIGUSR1:
			if l != nil {
				l.Close()
				os.Remove(path)
				l = nil
				mu.Lock()
				for _, c := range conns {
					c.Close()
				}
				conns = nil
				mu.Unlock()
			}
		case syscall.SIGUSR2:
			if l == nil {
				l = listen()
			}
		}
	}
}
