// The provider plugin.
package main

import (
	"context"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"kubeship.local/pulumi-resource-random/rprov"
)

func main() {
	pftfbridge.Main(context.Background(), "random", rprov.Provider(),
		pftfbridge.ProviderMetadata{PackageSchema: rprov.Schema})
}
