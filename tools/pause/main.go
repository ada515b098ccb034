// Command pause is the process of a pod's sandbox container: it holds the pod's namespaces, reaps the
// zombies of processes that end up as its children, and exits on SIGINT or SIGTERM (as
// registry.k8s.io/pause does, which cannot be pulled here).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
