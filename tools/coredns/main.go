// Command coredns is CoreDNS with only the plugins the local cluster's DNS uses: it answers the
// cluster's names from the API server (kubeconfig mode, run on the host) and forwards nothing else.
// Upstream selects plugins the same way (plugin.cfg generates core/plugin's imports); the order in
// which they run comes from core/dnsserver's directive list, not from these imports.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() {
	coremain.Run()
}
