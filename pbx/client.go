package pbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// ClientOptions tunes a [Client]. The zero value and nil are the defaults.
type ClientOptions struct {
	// DefaultTimeout bounds each call whose context has no deadline; 0 means
	// 30 seconds and a negative value means no bound.
	DefaultTimeout time.Duration
	// ReadRetries is how many times an idempotent read that failed with
	// Unavailable is tried again; 0 means 2 and a negative value means none.
	// Mutations (originate, hang up, transfer, ...) are never retried.
	ReadRetries int
	// RetryBackoff is the pause before the first retry, doubled for each
	// further one; 0 means 100ms.
	RetryBackoff time.Duration
	// Logger receives debug logs of failed calls; nil discards them. Logs
	// never hold secrets.
	Logger *slog.Logger
	// Now is the clock for event timestamps the backend leaves unset; nil
	// means time.Now.
	Now func() time.Time
}

// Client is the portable handle on a PBX. Applications get one from [Open] or
// from a backend's Open function and use its services: Extensions, Devices,
// Calls, Voicemail, Conferences, Queues, CDR and System.
//
// A Client is safe for concurrent use by multiple goroutines. Close it when
// done; every goroutine of the client and its backend ends then.
type Client struct {
	b      Backend
	caps   Capabilities
	hub    *hub
	opts   ClientOptions
	log    *slog.Logger
	closed atomic.Bool
}

// NewClient returns a Client over a backend. Backends call it from their Open
// functions; applications rarely need it. It fails if the backend declares a
// capability without implementing its service interface.
func NewClient(b Backend, opts *ClientOptions) (*Client, error) {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.DefaultTimeout == 0 {
		o.DefaultTimeout = 30 * time.Second
	}
	if o.ReadRetries == 0 {
		o.ReadRetries = 2
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 100 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	caps := b.Capabilities()
	if err := checkImplements(b, caps); err != nil {
		return nil, err
	}
	c := &Client{
		b:    b,
		caps: caps,
		hub:  &hub{backend: b.Name(), now: o.Now},
		opts: o,
		log:  log.With("backend", b.Name()),
	}
	b.Attach(c.hub)
	return c, nil
}

// checkImplements verifies that every declared capability has its interface.
func checkImplements(b Backend, caps Capabilities) error {
	need := func(c Capability, ok bool, iface string) error {
		if caps.Has(c) && !ok {
			return &Error{Code: Internal, Op: "NewClient", Backend: b.Name(),
				Err: fmt.Errorf("backend declares %s but does not implement pbx.%s", c, iface)}
		}
		return nil
	}
	_, ext := b.(ExtensionBackend)
	_, dev := b.(DeviceBackend)
	_, call := b.(CallBackend)
	_, vm := b.(VoicemailBackend)
	_, conf := b.(ConferenceBackend)
	_, queue := b.(QueueBackend)
	_, cdr := b.(CDRBackend)
	_, sys := b.(SystemBackend)
	_, qcfg := b.(QueueConfigBackend)
	_, rooms := b.(RoomBackend)
	_, recs := b.(RecordingBackend)
	_, cw := b.(CallWaitingBackend)
	return errors.Join(
		need(CapExtensionsRead, ext, "ExtensionBackend"), need(CapExtensionsWrite, ext, "ExtensionBackend"),
		need(CapSecretReset, ext, "ExtensionBackend"), need(CapSecretReveal, ext, "ExtensionBackend"),
		need(CapDevices, dev, "DeviceBackend"), need(CapDND, dev, "DeviceBackend"),
		need(CapCallForward, dev, "DeviceBackend"), need(CapFollowMe, dev, "DeviceBackend"),
		need(CapCallsRead, call, "CallBackend"), need(CapOriginate, call, "CallBackend"),
		need(CapHangup, call, "CallBackend"), need(CapTransfer, call, "CallBackend"),
		need(CapVoicemail, vm, "VoicemailBackend"), need(CapVoicemailWrite, vm, "VoicemailBackend"),
		need(CapConferences, conf, "ConferenceBackend"), need(CapConferenceControl, conf, "ConferenceBackend"),
		need(CapQueues, queue, "QueueBackend"), need(CapQueueMembers, queue, "QueueBackend"),
		need(CapCDR, cdr, "CDRBackend"), need(CapSystem, sys, "SystemBackend"),
		need(CapQueuesWrite, qcfg, "QueueConfigBackend"), need(CapConferenceRooms, rooms, "RoomBackend"),
		need(CapRecordings, recs, "RecordingBackend"), need(CapCallWaiting, cw, "CallWaitingBackend"),
	)
}

// Backend returns the backend's name, such as "asterisk".
func (c *Client) Backend() string { return c.b.Name() }

// Capabilities returns what the backend can do.
func (c *Client) Capabilities() Capabilities { return c.caps }

// As gives access to backend-specific types, such as the AMI connection of
// the asterisk backend; each backend's documentation lists them. It reports
// whether target was set.
func (c *Client) As(target any) bool { return c.b.As(target) }

// Close closes the backend and ends every subscription. It is safe to call
// more than once; later calls return nil.
func (c *Client) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.hub.close()
	return wrapError(c.b, "Close", "", c.b.Close())
}

// Subscribe starts a subscription to the events f selects (nil selects all).
// It returns once the subscription is registered: an action taken after
// Subscribe returns is never missed. Close the subscription when done.
func (c *Client) Subscribe(ctx context.Context, f *EventFilter, opts *SubscribeOptions) (*Subscription, error) {
	const op = "Subscribe"
	if err := c.check(ctx, op, CapEvents); err != nil {
		return nil, err
	}
	filter := f.clone()
	if err := filter.validate(); err != nil {
		return nil, c.wrap(op, "", err)
	}
	buffer := 0
	if opts != nil {
		if opts.Buffer < 0 {
			return nil, c.wrap(op, "", invalidf("negative buffer %d", opts.Buffer))
		}
		buffer = opts.Buffer
	}
	s, err := c.hub.add(filter, buffer)
	return s, c.wrap(op, "", err)
}

// Extensions returns the extension service.
func (c *Client) Extensions() *ExtensionService { return &ExtensionService{c} }

// Devices returns the device service.
func (c *Client) Devices() *DeviceService { return &DeviceService{c} }

// Calls returns the call service.
func (c *Client) Calls() *CallService { return &CallService{c} }

// Voicemail returns the voicemail service.
func (c *Client) Voicemail() *VoicemailService { return &VoicemailService{c} }

// Conferences returns the conference service.
func (c *Client) Conferences() *ConferenceService { return &ConferenceService{c} }

// Queues returns the queue service.
func (c *Client) Queues() *QueueService { return &QueueService{c} }

// CDR returns the call detail record service.
func (c *Client) CDR() *CDRService { return &CDRService{c} }

// System returns the system service.
func (c *Client) System() *SystemService { return &SystemService{c} }

// check fails if the client is closed, the capability is missing or ctx is done.
func (c *Client) check(ctx context.Context, op string, need Capability) error {
	if c.closed.Load() {
		return &Error{Code: FailedPrecondition, Op: op, Backend: c.b.Name(), Err: errors.New("client is closed")}
	}
	if !c.caps.Has(need) {
		return &Error{Code: Unsupported, Op: op, Backend: c.b.Name(),
			Err: fmt.Errorf("the %s backend does not support %s", c.b.Name(), need)}
	}
	if err := ctx.Err(); err != nil {
		return c.wrap(op, "", err)
	}
	return nil
}

func (c *Client) wrap(op, id string, err error) error {
	err = wrapError(c.b, op, id, err)
	if err != nil {
		c.log.Debug("pbx call failed", "op", op, "id", id, "code", Code(err).String())
	}
	return err
}

// request describes one call into the backend.
type request struct {
	op   string
	id   string
	need Capability
	read bool // idempotent: may be retried on Unavailable
}

// run performs one call into the backend with the client's checks, default
// timeout, retry policy and error wrapping. validate runs before anything
// else touches the backend.
func run[T any](ctx context.Context, c *Client, r request, validate error, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := c.check(ctx, r.op, r.need); err != nil {
		return zero, err
	}
	if validate != nil {
		return zero, c.wrap(r.op, r.id, validate)
	}
	if _, ok := ctx.Deadline(); !ok && c.opts.DefaultTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.DefaultTimeout)
		defer cancel()
	}
	backoff := c.opts.RetryBackoff
	for attempt := 0; ; attempt++ {
		v, err := fn(ctx)
		if err == nil {
			return v, nil
		}
		err = c.wrap(r.op, r.id, err)
		if !r.read || attempt >= c.opts.ReadRetries || Code(err) != Unavailable {
			return zero, err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, err
		case <-t.C:
		}
		backoff *= 2
	}
}

// exec is run for calls that return only an error.
func exec(ctx context.Context, c *Client, r request, validate error, fn func(context.Context) error) error {
	_, err := run(ctx, c, r, validate, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	})
	return err
}

// nonNil turns a nil list into an empty one on success, so that lists encode
// as [] rather than null.
func nonNil[T any](list []T, err error) ([]T, error) {
	if list == nil && err == nil {
		list = []T{}
	}
	return list, err
}

// firstErr returns the first non-nil error, for chaining validations.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
