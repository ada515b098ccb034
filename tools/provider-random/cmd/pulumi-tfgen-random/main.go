// Build-time helper: `pulumi-tfgen-random schema --out rprov` writes schema.json and bridge-metadata.json.
package main

import (
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"kubeship.local/pulumi-resource-random/rprov"
)

func main() { pftfgen.Main("random", rprov.Provider()) }
