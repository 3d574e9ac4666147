package freeswitch_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/pbxkit/pbxkit/esl/esltest"
	"github.com/pbxkit/pbxkit/pbx"
)

// Example opens a FreeSWITCH (here esltest's simulated switch) by URL,
// reads a phone's registration and follows a call-me to it.
func Example() {
	srv, err := esltest.Start(&esltest.Options{Password: "s3cret"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Register("1000", esltest.Registration{UserAgent: "Yealink SIP-T46S"}); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pbx.Open(ctx, "freeswitch://:s3cret@"+srv.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	dev, err := c.Devices().Get(ctx, "1000")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dev.Name, "is", dev.State, "on a", dev.Contacts[0].UserAgent)

	// Subscribe before acting: no event of the call is missed.
	sub, err := c.Subscribe(ctx, &pbx.EventFilter{Extensions: []pbx.ExtensionID{"1000"},
		Kinds: []pbx.EventKind{pbx.KindCallStarted, pbx.KindCallAnswered, pbx.KindCallEnded}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	id, err := c.Calls().CallMe(ctx, "1000", pbx.CallMeRequest{Mode: pbx.ModeEchoTest})
	if err != nil {
		log.Fatal(err)
	}
	for e, err := range sub.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Kind())
		switch e.(type) {
		case *pbx.CallAnswered:
			if err := c.Calls().Hangup(ctx, id); err != nil {
				log.Fatal(err)
			}
		case *pbx.CallEnded:
			return
		}
	}
	// Output:
	// user/1000@10.0.0.5 is not in use on a Yealink SIP-T46S
	// call.started
	// call.answered
	// call.ended
}
