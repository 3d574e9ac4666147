package freeswitch_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// TestStore keeps DND, forwarding and follow-me in mod_db or mod_hash,
// under the keys the package documentation gives a dialplan.
func TestStore(t *testing.T) {
	for _, kind := range []string{"db", "hash"} {
		t.Run(kind, func(t *testing.T) {
			env := newSwitch(t)
			env.opts.Store.Kind, env.opts.Store.Realm = kind, "features"
			ctx := context.Background()
			devs := env.client(t).Devices()
			value := env.srv.DBValue
			if kind == "hash" {
				value = env.srv.HashValue
			}
			want := func(key, v string) {
				t.Helper()
				got, ok := value("features", key)
				if v == "" && ok || v != "" && got != v {
					t.Errorf("%s/features/%s = %q (set %v), want %q", kind, key, got, ok, v)
				}
			}
			if err := devs.SetDND(ctx, "1001", true); err != nil {
				t.Fatal(err)
			}
			want("dnd_1001", "true")
			if on, err := devs.DND(ctx, "1001"); err != nil || !on {
				t.Fatalf("DND = %v, %v", on, err)
			}
			if err := devs.SetDND(ctx, "1001", false); err != nil {
				t.Fatal(err)
			}
			want("dnd_1001", "")
			if err := devs.SetDND(ctx, "1001", false); err != nil { // deleting a missing key
				t.Fatal(err)
			}
			if err := devs.SetForward(ctx, "1001", pbx.CallForward{Always: "+15550100", NoAnswer: "1002"}); err != nil {
				t.Fatal(err)
			}
			want("cf_always_1001", "+15550100")
			want("cf_busy_1001", "")
			want("cf_noanswer_1001", "1002")
			fm := pbx.FollowMe{Enabled: true, Numbers: []string{"1002", "+15550101"}, RingTime: 25 * time.Second}
			if err := devs.SetFollowMe(ctx, "1001", fm); err != nil {
				t.Fatal(err)
			}
			want("followme_1001", "true")
			want("followme_numbers_1001", "1002,+15550101")
			want("followme_time_1001", "25")
			if got, err := devs.FollowMe(ctx, "1001"); err != nil || !got.Enabled || len(got.Numbers) != 2 || got.RingTime != fm.RingTime {
				t.Fatalf("FollowMe = %+v, %v", got, err)
			}
			long := pbx.FollowMe{Enabled: true, Numbers: slices.Repeat([]string{"+15550100000000"}, 18)} // 287 bytes joined
			err := devs.SetFollowMe(ctx, "1001", long)
			if kind == "db" && pbx.Code(err) != pbx.InvalidArgument {
				t.Fatalf("a follow-me list mod_db would cut: %v, want InvalidArgument", err)
			}
			if kind == "hash" && err != nil {
				t.Fatalf("a long follow-me list in mod_hash: %v", err)
			}
			if _, err := devs.DND(ctx, "9999"); pbx.Code(err) != pbx.NotFound {
				t.Fatalf("DND of a missing extension: %v", err)
			}
		})
	}
}
