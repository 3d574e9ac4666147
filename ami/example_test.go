package ami_test

import (
	"context"
	"fmt"
	"log"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/ami/amitest"
)

func Example() {
	// A fake Asterisk for the example; in production, dial the real one.
	srv, err := amitest.Start(&amitest.Options{Username: "admin", Secret: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.SetCommand("core show uptime", "System uptime: 2 hours, 5 minutes, 12 seconds")

	ctx := context.Background()
	conn, err := ami.Dial(ctx, srv.Addr(), &ami.Options{Username: "admin", Secret: "secret", Events: true})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	// Subscribe before acting, so that no event is missed.
	sub := conn.Subscribe(0)
	defer sub.Close()

	resp, err := conn.Do(ctx, ami.NewAction("Ping"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Get("Ping"))

	out, err := conn.Command(ctx, "core show uptime")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out[0])

	srv.Broadcast(amitest.Event("Hangup", "Channel", "PJSIP/1001-00000001", "Cause", "16", "Cause-txt", "Normal Clearing"))
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if ev.Dropped > 0 {
			fmt.Println("lost", ev.Dropped, "events")
		}
		if ev.State != ami.StateNone {
			fmt.Println("state:", ev.State)
			continue
		}
		if ev.Message.Event() == "Hangup" {
			fmt.Println(ev.Message.Event(), ev.Message.Get("Channel"), ev.Message.Get("Cause-txt"))
			break
		}
	}
	// Output:
	// Pong
	// System uptime: 2 hours, 5 minutes, 12 seconds
	// state: connected
	// Hangup PJSIP/1001-00000001 Normal Clearing
}

func ExampleConn_DoList() {
	srv, err := amitest.Start(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.Handle("PJSIPShowContacts", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.Response("Error", "Message", "No Contacts found\n")) // as Asterisk 16 sends it
	})
	srv.Handle("CoreShowChannels", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.ListStart("Channels will follow") +
			r.Item("CoreShowChannel", false, "Channel", "PJSIP/1001-00000001", "ChannelStateDesc", "Up") +
			r.ListComplete("CoreShowChannelsComplete", 1))
	})

	ctx := context.Background()
	conn, err := ami.Dial(ctx, srv.Addr(), &ami.Options{Username: "admin", Secret: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	list, err := conn.DoList(ctx, ami.NewAction("CoreShowChannels"))
	if err != nil {
		log.Fatal(err)
	}
	for _, item := range list.Items {
		fmt.Println(item.Get("Channel"), item.Get("ChannelStateDesc"))
	}
	fmt.Println("ListItems:", list.Complete.Get("ListItems"))

	_, err = conn.DoList(ctx, ami.NewAction("PJSIPShowContacts"))
	fmt.Println("empty:", ami.IsEmptyList(err))
	// Output:
	// PJSIP/1001-00000001 Up
	// ListItems: 1
	// empty: true
}

func ExampleMessage_Validate() {
	callerName := "Mallory\r\nAction: Command\r\nCommand: core stop now"
	action := ami.NewAction("Setvar").
		Add("Channel", "PJSIP/1001-00000001").
		Add("Variable", "CALLERID(name)").
		Add("Value", callerName)
	fmt.Println(action.Validate())
	// Output:
	// ami: invalid field: header 3 (Value): value contains CR
}
