package pbx_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	_ "github.com/pbxkit/pbxkit/mock" // registers mock://
	"github.com/pbxkit/pbxkit/pbx"
)

// Open a PBX by URL. The mock's demo PBX needs no server; a real one would be
// "asterisk://user:secret@127.0.0.1:5038" with the asterisk package imported.
func Example() {
	ctx := context.Background()
	c, err := pbx.Open(ctx, "mock://demo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ext, err := c.Extensions().Get(ctx, "1010")
	if err != nil {
		log.Fatal(err)
	}
	dev, err := c.Devices().Get(ctx, ext.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s (%s): %s, %d contact(s), %s\n", ext.ID, ext.Name, ext.Tech, dev.State, len(dev.Contacts), dev.Contacts[0].UserAgent)
	fmt.Println("can originate:", c.Capabilities().Has(pbx.CapOriginate))
	// Output:
	// 1010 rocord (pjsip): in use, 1 contact(s), Linphone/4.4.0 (belle-sip/4.4.0)
	// can originate: true
}

// List the live calls of one extension.
func ExampleCallService_List() {
	ctx := context.Background()
	c, err := pbx.Open(ctx, "mock://demo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	calls, err := c.Calls().List(ctx, &pbx.CallFilter{Extension: "1010"})
	if err != nil {
		log.Fatal(err)
	}
	for _, call := range calls {
		fmt.Println(call.Channel, call.State, call.Application, call.Caller.Name)
	}
	// Output:
	// PJSIP/1010-00000001 up MusicOnHold Call Me Test (MusicOnHold)
}

// Originate a call and follow it. Choosing the ID first and subscribing to it
// before originating guarantees that no event of the call is missed.
func ExampleCallService_Originate() {
	ctx := context.Background()
	c, err := pbx.Open(ctx, "mock://demo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	id := pbx.NewCallID()
	sub, err := c.Subscribe(ctx, &pbx.EventFilter{Calls: []pbx.CallID{id}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	_, err = c.Calls().Originate(ctx, pbx.OriginateRequest{
		ID:       id,
		From:     "1001",
		Mode:     pbx.ModeEchoTest,
		CallerID: pbx.Party{Name: "Echo test", Number: "1001"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for e, err := range sub.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Kind())
		switch e := e.(type) {
		case *pbx.CallAnswered:
			if err := c.Calls().Hangup(ctx, e.Call.ID); err != nil {
				log.Fatal(err)
			}
		case *pbx.CDRPosted:
			fmt.Println("disposition:", e.CDR.Disposition)
			return
		}
	}
	// Output:
	// call.started
	// call.ringing
	// call.answered
	// call.ended
	// cdr.posted
	// disposition: ANSWERED
}

// Subscribe to one kind of event for one extension.
func ExampleClient_Subscribe() {
	ctx := context.Background()
	c, err := pbx.Open(ctx, "mock://demo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sub, err := c.Subscribe(ctx, &pbx.EventFilter{
		Kinds:      []pbx.EventKind{pbx.KindDNDChanged},
		Extensions: []pbx.ExtensionID{"1002"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	for _, ext := range []pbx.ExtensionID{"1001", "1002"} {
		if err := c.Devices().SetDND(ctx, ext, true); err != nil {
			log.Fatal(err)
		}
	}
	e, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	dnd := e.(*pbx.DNDChanged)
	fmt.Println(dnd.Seq, dnd.Extension, dnd.Enabled)
	// Output:
	// 2 1002 true
}

// Subscribe to what concerns a user: their extension or the room they are
// in, in one stream that keeps the order between the two.
func ExampleEventFilter_anyOf() {
	ctx := context.Background()
	c, err := pbx.Open(ctx, "mock://demo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sub, err := c.Subscribe(ctx, &pbx.EventFilter{
		Kinds: []pbx.EventKind{pbx.KindDNDChanged, pbx.KindConferenceLocked},
		AnyOf: []pbx.EventFilter{
			{Extensions: []pbx.ExtensionID{"1002"}},
			{Conferences: []pbx.ConferenceID{"400"}},
		},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	if err := c.Conferences().Lock(ctx, "400", true); err != nil {
		log.Fatal(err)
	}
	for _, ext := range []pbx.ExtensionID{"1001", "1002"} {
		if err := c.Devices().SetDND(ctx, ext, true); err != nil {
			log.Fatal(err)
		}
	}
	for range 2 {
		e, err := sub.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		switch e := e.(type) {
		case *pbx.ConferenceLocked:
			fmt.Println("room", e.Conference, "locked:", e.Locked)
		case *pbx.DNDChanged:
			fmt.Println("DND of", e.Extension, "on:", e.Enabled)
		}
	}
	// Output:
	// room 400 locked: true
	// DND of 1002 on: true
}

// Errors carry a code; test for classes with errors.Is.
func ExampleCode() {
	ctx := context.Background()
	c, err := pbx.Open(ctx, "mock://demo")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.Extensions().Get(ctx, "12a;")
	fmt.Println(errors.Is(err, pbx.ErrInvalid), pbx.Code(err))
	_, err = c.Extensions().Get(ctx, "9999")
	fmt.Println(errors.Is(err, pbx.ErrNotFound), err)
	// Output:
	// true invalid argument
	// true pbx: mock: Extensions.Get 9999: not found: no extension 9999
}
