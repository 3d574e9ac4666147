package ari_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/pbxkit/pbxkit/ari"
)

// Example dials ARI, places a call into the Client's Stasis application
// and follows it through its events. (It needs a running Asterisk, so it is
// compiled but not run.)
func Example() {
	ctx := context.Background()
	c, err := ari.Dial(ctx, &ari.Options{
		URL:      "http://127.0.0.1:8088/ari",
		Username: "pbxkit",
		Password: "secret", // sent in the Authorization header only
	})
	if err != nil {
		log.Fatal(err) // errors.Is(err, ari.ErrAuth), ari.ErrUnavailable, ...
	}
	defer c.Close()

	// Subscribe before acting, so that no event is missed.
	sub := c.Subscribe(0)
	defer sub.Close()

	ch, err := c.Originate(ctx, ari.OriginateRequest{
		Endpoint:  "PJSIP/1001",
		App:       c.Application(),
		CallerID:  `"Operator" <100>`,
		Timeout:   30 * time.Second,
		ChannelID: "call-42", // known before the first event arrives
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", ch.Name, ch.State)

	for ev, err := range sub.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if ev.Dropped > 0 {
			log.Printf("lost %d events: resynchronise", ev.Dropped)
		}
		switch {
		case ev.State == ari.StateDisconnected:
			log.Printf("ARI down (%v); reconnecting", ev.Err)
		case ev.State == ari.StateReconnected:
			log.Print("ARI back: resynchronise with c.Channels")
		case ev.Channel == nil || ev.Channel.ID != ch.ID:
		case ev.Type == "StasisStart":
			fmt.Println("answered")
			if err := c.Hangup(ctx, ch.ID, "normal"); err != nil && !errors.Is(err, ari.ErrNotFound) {
				log.Fatal(err)
			}
		case ev.Type == "ChannelDestroyed":
			fmt.Println("ended:", ev.CauseText)
			return
		}
	}
}

// ExampleError shows how REST errors are told apart.
func ExampleError() {
	ctx := context.Background()
	c, err := ari.Dial(ctx, &ari.Options{URL: "http://127.0.0.1:8088/ari", Username: "pbxkit", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.Originate(ctx, ari.OriginateRequest{Endpoint: "PJSIP/nobody", Extension: "1000", Context: "from-internal"})
	var e *ari.Error
	switch {
	case errors.Is(err, ari.ErrAllocationFailed):
		fmt.Println("no such endpoint, or it cannot be reached")
	case errors.Is(err, ari.ErrDisconnected):
		fmt.Println("connection lost: the call may or may not have been placed")
	case errors.Is(err, ari.ErrUnavailable):
		fmt.Println("ARI unreachable: nothing was sent, retry later")
	case errors.As(err, &e):
		fmt.Println("refused:", e.StatusCode, e.Message)
	}
}
