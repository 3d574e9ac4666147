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

// distro starts the test PBX: FreePBX 16's databases on MariaDB and a real
// Asterisk, configured as the backend is opened on it.
func distro(ctx context.Context, t *testing.T) (*asttest.Distro, freepbx.Options, error) {
	env, err := asttest.NewDistro(ctx, t, distrotest.FreePBX)
	if err != nil {
		return nil, freepbx.Options{}, err
	}
	opts := freepbx.Options{Options: env.Options, DB: env.DBs.Asterisk, CDRDB: env.DBs.CDR, ApplyCommand: []string{"true"}}
	return env, opts, nil
}

func TestConformance(t *testing.T) {
	pbxtest.Run(t, func(ctx context.Context, t *testing.T) (pbxtest.Harness, error) {
		env, opts, err := distro(ctx, t)
		if err != nil {
			return nil, err
		}
		env.Open = func(ctx context.Context) (*pbx.Client, error) { return freepbx.Open(ctx, env.Srv.AMIAddr, &opts) }
		return env, nil
	})
}
