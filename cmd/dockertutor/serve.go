package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// serveUntilSignal serves hs on ln until Ctrl+C or SIGTERM, then shuts it
// down (requests in flight get a few seconds). what names the server in
// the error when it stops by itself.
func serveUntilSignal(ctx context.Context, hs *http.Server, ln net.Listener, what string) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("the %s stopped: %w", what, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		hs.Close()
	}
	return nil
}

// lanIPs are this machine's IPv4 addresses the room's machines can reach:
// up, not loopback, not link-local, not a bridge a container runtime made.
func lanIPs() []net.IP {
	var out []net.IP
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 || containerBridge(ifc.Name) {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLinkLocalUnicast() || ipn.IP.To4() == nil {
				continue
			}
			out = append(out, ipn.IP)
		}
	}
	return out
}

// containerBridge says whether an interface is one Docker or another
// container runtime made: the room's machines do not reach it.
func containerBridge(name string) bool {
	for _, p := range []string{"docker", "br-", "veth", "cni", "virbr", "podman"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
