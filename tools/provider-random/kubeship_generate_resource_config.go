package schema

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

// GenerateResourceConfig satisfies tfprotov5.ProviderServer from
// terraform-plugin-go v0.31.0. Local build patch (kubeship): not supported.
func (s *GRPCProviderServer) GenerateResourceConfig(_ context.Context, req *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{
		Diagnostics: []*tfprotov5.Diagnostic{{
			Severity: tfprotov5.DiagnosticSeverityError,
			Summary:  "GenerateResourceConfig is not supported by this build",
		}},
	}, nil
}
