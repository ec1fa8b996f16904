package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/dockertutor/dockertutor/classroom/server"
	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/lessons"
)

// startInProcess serves the class from this process, through server.New
// as `class serve` does, so that a CPU profile of the run covers the
// server. Only the benchmark does this; the real server has no profiling
// endpoint.
func startInProcess(dir string, course *lessons.Course, profile string) (*classServer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &classServer{dir: dir, db: filepath.Join(dir, "class.db"), stderr: &lockedBuffer{}, exited: make(chan struct{}), inProcess: true}
	st, err := store.Open(s.db)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	cls, token, err := server.CreateClass(ctx, st, course, "Bench class", time.Now())
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, err
	}
	s.base, s.code, s.token = "http://"+ln.Addr().String(), cls.Code, token
	srv, err := server.New(st, course, server.Options{JoinURL: s.base + "/join/" + cls.Code})
	if err != nil {
		ln.Close()
		st.Close()
		return nil, err
	}
	// The timeouts of `class serve`.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	hs.RegisterOnShutdown(srv.Close)
	go hs.Serve(ln)
	var prof *os.File
	if profile != "" {
		if prof, err = os.Create(profile); err != nil {
			hs.Close()
			st.Close()
			return nil, err
		}
		pprof.StartCPUProfile(prof)
	}
	var once sync.Once
	s.stopOnce = func() error {
		var err error
		once.Do(func() {
			if prof != nil {
				pprof.StopCPUProfile()
				prof.Close()
			}
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err = hs.Shutdown(shutdown); err != nil {
				hs.Close()
			}
			srv.Close()
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			close(s.exited)
		})
		return err
	}
	go s.sample()
	return s, nil
}
