package issabel_test

import (
	"context"
	"testing"

	"github.com/pbxkit/pbxkit/internal/asttest"
	"github.com/pbxkit/pbxkit/internal/distrotest"
	"github.com/pbxkit/pbxkit/issabel"
	"github.com/pbxkit/pbxkit/pbx"
	"github.com/pbxkit/pbxkit/pbx/pbxtest"
)

// TestConformance runs the suite on Issabel 4's databases on MariaDB and a
// real Asterisk.
func TestConformance(t *testing.T) {
	pbxtest.Run(t, asttest.DistroConformance(distrotest.Issabel, func(ctx context.Context, env *asttest.Distro) (*pbx.Client, error) {
		return issabel.Open(ctx, env.Srv.AMIAddr, &issabel.Options{Options: env.Options, DB: env.DBs.Asterisk, CDRDB: env.DBs.CDR, ApplyCommand: []string{"true"}})
	}))
}
