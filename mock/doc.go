// Package mock is an in-memory PBX for pbxkit: complete (it declares every
// capability of package pbx), deterministic, concurrency-safe, and proven to
// behave like the real backends by the same conformance suite (pbxtest).
//
// Use it to develop and test applications without a PBX:
//
//	p := mock.NewDemo(nil)       // or mock.New(nil) for an empty PBX
//	c := p.Client()              // a *pbx.Client, as any backend gives
//	defer c.Close()
//	id, err := c.Calls().CallMe(ctx, "1010", pbx.CallMeRequest{Mode: pbx.ModeEchoTest})
//
// Every operation changes the PBX's state and emits the events a real PBX
// would, in the same order: an originate emits CallStarted, CallRinging and
// CallAnswered (with DeviceStateChanged between them), then, at hang-up,
// CallEnded followed by CDRPosted.
//
// # Events
//
// Subscriptions behave as a real backend's: bounded queues that report
// EventsDropped when a subscriber falls behind, filters applied before
// queueing, and BackendDisconnected and BackendReconnected around an
// outage ([PBX.Disconnect]) or a restart ([PBX.Restart]), followed on
// reconnection by the changes a
// resynchronising backend would report. With [Options].Activity
// (mock://demo?activity=1s) the PBX does something by itself at that
// interval (calls start and end, devices register, voicemail arrives,
// callers queue), so that a live event stream shows movement.
//
// # Errors
//
// Input is checked exactly as package pbx documents, so invalid input gets
// pbx.ErrInvalid here as on any backend; unknown extensions, calls,
// messages, rooms and queues get pbx.ErrNotFound; operations during an
// outage get pbx.ErrUnavailable. [PBX.FailNext] makes a chosen operation
// fail once with any error, to test an application's error paths.
//
// # Driving the outside world
//
// The [PBX] methods stand for what happens outside the client: phones
// registering ([PBX.Register], [PBX.Unregister]) and answering, refusing or
// ignoring calls ([PBX.SetBehavior]), callers queueing ([PBX.QueueCall],
// [PBX.ServeQueueCaller]), voicemail arriving ([PBX.LeaveVoicemail]), the PBX
// going away and coming back ([PBX.Disconnect], [PBX.Reconnect]) or restarting
// ([PBX.Restart]), and
// failures of single operations ([PBX.FailNext], [Options].Latency).
//
// # Time
//
// The PBX reads time from [Options].Clock. With a [FakeClock], ringing
// timeouts, answer delays and background activity happen only when the test
// calls Advance, so durations and CDRs are exact.
//
// # URLs
//
// Importing the package registers the "mock" scheme on pbx.DefaultURLMux:
//
//	mock://demo[?activity=2s&seed=N&latency=10ms]
//	mock://empty
//
// Each Open makes a new PBX owned by the returned client. See [URLOpener].
//
// # As
//
// The client's As accepts a **mock.PBX, to reach the PBX behind a client
// opened by URL.
//
// # Concurrency
//
// A PBX is safe for concurrent use; its clients are as safe as any
// *pbx.Client.
package mock
