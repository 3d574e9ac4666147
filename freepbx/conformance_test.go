package freepbx_test

import (
	"context"
	"testing"

	"github.com/pbxkit/pbxkit/freepbx"
	"github.com/pbxkit/pbxkit/internal/asttest"
	"github.com/pbxkit/pbxkit/internal/distrotest"
	"github.com/pbxkit/pbxkit/pbx"
	"github.com/pbxkit/pbxkit/pbx/pbxtest"
)

// TestConformance runs the suite on FreePBX 16's databases on MariaDB and a
// real Asterisk.
func TestConformance(t *testing.T) {
	pbxtest.Run(t, asttest.DistroConformance(distrotest.FreePBX, func(ctx context.Context, env *asttest.Distro) (*pbx.Client, error) {
		return freepbx.Open(ctx, env.Srv.AMIAddr, &freepbx.Options{Options: env.Options, DB: env.DBs.Asterisk, CDRDB: env.DBs.CDR, ApplyCommand: []string{"true"}})
	}))
}
