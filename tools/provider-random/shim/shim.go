// Package shim exposes the upstream Terraform random provider, whose
// constructor lives in an internal package; this module's path sits under
// the upstream module path, so Go's internal-import rule allows it.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream plugin-framework provider.
func NewProvider() provider.Provider { return upstream.New() }
