// Package rprov maps the upstream Terraform random provider to Pulumi's
// "random" package tokens (random:index/randomX:RandomX), as used by the
// @pulumi/random SDK.
package rprov

import (
	"context"
	_ "embed"
	"errors"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is set with -ldflags "-X kubeship.local/pulumi-resource-random/rprov.Version=...".
var Version = "4.21.2"

//go:embed bridge-metadata.json
var bridgeMetadata []byte

//go:embed schema.json
var Schema []byte

// Provider returns the bridge configuration.
func Provider() tfbridge.ProviderInfo {
	p := tfbridge.ProviderInfo{
		P:            pftfbridge.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		Keywords:     []string{"pulumi", "random"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-random",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(bridgeMetadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no "id" attribute: use its base64 value.
			"random_bytes": {ComputeID: bytesID},
			// Old states of random_string can lack a schema version; treat them as v1.
			"random_string": {PreStateUpgradeHook: func(a tfbridge.PreStateUpgradeHookArgs) (int64, resource.PropertyMap, error) {
				if a.PriorStateSchemaVersion == 0 {
					return 1, a.PriorState, nil
				}
				return a.PriorStateSchemaVersion, a.PriorState, nil
			}},
		},
		JavaScript:                  &tfbridge.JavaScriptInfo{RespectSchemaVersion: true},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	std := tokens.MakeStandard("random")
	p.MustComputeTokens(tokens.SingleModule("random_", "index", func(mod, name string) (string, error) {
		return std(mod, "Random"+name)
	}))
	p.MustApplyAutoAliases()
	return p
}

func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", errors.New("random_bytes: state has no base64 property")
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", errors.New("random_bytes: base64 is not a string")
	}
	return resource.ID(v.StringValue()), nil
}
