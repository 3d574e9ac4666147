package esl_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/esl/esltest"
)

// Example originates a call to a registered phone of the esltest server
// and follows its events.
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
	conn, err := esl.Dial(ctx, srv.Addr(), &esl.Options{
		Password: "s3cret",
		Events:   []string{"CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	sub := conn.Subscribe(0) // subscribe before acting: no event is missed
	defer sub.Close()

	vars, err := esl.OriginateVars(map[string]string{
		"origination_uuid":           "6f7d2c8e-0000-4000-8000-000000000001",
		"origination_caller_id_name": "Front Desk",
	})
	if err != nil {
		log.Fatal(err)
	}
	reply, err := conn.API(ctx, "originate", vars+"user/1000", "&park()")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(reply)
	if _, err := conn.API(ctx, "uuid_kill", "6f7d2c8e-0000-4000-8000-000000000001"); err != nil {
		log.Fatal(err)
	}
	for ev, err := range sub.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if ev.State != esl.StateNone {
			continue
		}
		line := ev.Name() + " " + ev.Get("Caller-Caller-ID-Name")
		if cause := ev.Get("Hangup-Cause"); cause != "" {
			line += " " + cause
		}
		fmt.Println(line)
		if ev.Name() == "CHANNEL_HANGUP_COMPLETE" {
			break
		}
	}
	// Output:
	// +OK 6f7d2c8e-0000-4000-8000-000000000001
	// CHANNEL_ANSWER Front Desk
	// CHANNEL_HANGUP_COMPLETE Front Desk MANAGER_REQUEST
}

// ExampleConn_BackgroundAPI starts a command in the background and waits
// for its result.
func ExampleConn_BackgroundAPI() {
	srv, err := esltest.Start(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	conn, err := esl.Dial(ctx, srv.Addr(), &esl.Options{Password: srv.Password()})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	job, err := conn.BackgroundAPI(ctx, "version", "short")
	if err != nil {
		log.Fatal(err)
	}
	out, err := job.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(out)
	// Output: 1.10.12
}

// ExampleQuoteArg passes a value with spaces to a command that splits its
// arguments with FreeSWITCH's quote-aware tokenizer.
func ExampleQuoteArg() {
	status, err := esl.QuoteArg("Available (On Demand)")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("callcenter_config agent set status 1000@default", status)
	// Output: callcenter_config agent set status 1000@default 'Available (On Demand)'
}

// ExampleOriginateVars builds the channel variables of an originate.
func ExampleOriginateVars() {
	vars, err := esl.OriginateVars(map[string]string{
		"origination_caller_id_name": "Doe, John",
		"sip_h_X-Ticket":             "42",
	})
	fmt.Println(vars, err)
	_, err = esl.OriginateVars(map[string]string{"api_hangup_hook": "system reboot"})
	fmt.Println(err)
	// Output:
	// {origination_caller_id_name='Doe\, John',sip_h_X-Ticket=42} <nil>
	// esl: forbidden command: variable "api_hangup_hook" makes FreeSWITCH run commands
}
