package asterisktest

// Dialplan contexts of the fixture configuration (testdata/asterisk/extensions.conf).
const (
	// ContextInternal is the context of the fixture phones: it dials extensions
	// (_10XX, voicemail on busy or no answer), *97 (VoiceMailMain), _9XXX
	// (the conference of that number), sales and support (the queues) and
	// hold, echo and hello (the call-me services).
	ContextInternal = "from-internal"
	// ContextCallMe holds the "call me" services a call is originated into:
	// ExtenHold, ExtenEcho and ExtenHello.
	ContextCallMe = "pbxkit-callme"
	// ContextConference runs ConfBridge(${EXTEN}): the extension is the room name.
	ContextConference = "pbxkit-conference"
	// ContextQueue answers and runs Queue(${EXTEN}): the extension is the queue name.
	ContextQueue = "pbxkit-queue"
	// ContextLeaveVoicemail answers, beeps and runs VoiceMail(${EXTEN}@default,s):
	// originate Local/<mailbox>@pbxkit-leave-vm and let the other side of the
	// Local channel supply the audio (for example ContextCallMe, ExtenHello).
	ContextLeaveVoicemail = "pbxkit-leave-vm"
	// ContextParkedCalls is res_parking's lot: 700 parks, 701-720 pick up.
	ContextParkedCalls = "parkedcalls"
)

// Extensions of ContextCallMe.
const (
	// ExtenHold answers and plays music on hold (class "default") until hangup.
	ExtenHold = "hold"
	// ExtenEcho answers and echoes the caller's audio until hangup.
	ExtenEcho = "echo"
	// ExtenHello answers, waits 1 s, plays hello-world (about 1.5 s) and hangs up.
	ExtenHello = "hello"
)

// Names of the fixture's voicemail context, conference room and queues.
const (
	// VoicemailContext is the voicemail.conf context of every fixture mailbox.
	VoicemailContext = "default"
	// ConfRoom is the fixture's conference room (any name works in ContextConference).
	ConfRoom = "9000"
	// QueueSales is a queue with strategy rrmemory and the static member PJSIP/1002.
	QueueSales = "sales"
	// QueueSupport is a queue with strategy leastrecent and no members.
	QueueSupport = "support"
	// MusicOnHoldClass is the only music-on-hold class.
	MusicOnHoldClass = "default"
)

// Extension is one fixture extension: a PJSIP endpoint, aor and auth that
// all carry the number as their name, plus a voicemail box of the same number.
type Extension struct {
	// Number is the extension number, endpoint name and SIP user name ("1001").
	Number string
	// Secret is the SIP digest password.
	Secret string
	// Name is the caller ID name and the voicemail box's full name.
	Name string
	// Mailbox is the voicemail box, "<number>@default".
	Mailbox string
	// VoicemailPIN is the voicemail box's password.
	VoicemailPIN string
}

// Queue is one fixture queue.
type Queue struct {
	// Name is the queue name.
	Name string
	// Strategy is the ring strategy as written in queues.conf.
	Strategy string
	// Members are the static members' interfaces.
	Members []string
}

// Fixture is the data the configuration templates are rendered with and that
// tests code against. DefaultFixture describes testdata/asterisk.
type Fixture struct {
	// Extensions are the PJSIP extensions 1001-1006.
	Extensions []Extension
	// VoicemailContext is the context of every mailbox ("default").
	VoicemailContext string
	// ConfRoom is the conference room name ("9000").
	ConfRoom string
	// Queues are sales and support.
	Queues []Queue
}

// DefaultFixture returns the fixture of testdata/asterisk: extensions 1001-1006
// (Alice, Bob, Carol, Dave, Erin, Frank) with secrets "pbxkit-<number>",
// mailboxes "<number>@default" with PIN 1234, room 9000 and the queues sales
// and support.
func DefaultFixture() Fixture {
	names := []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Frank"}
	f := Fixture{
		VoicemailContext: VoicemailContext,
		ConfRoom:         ConfRoom,
		Queues: []Queue{
			{Name: QueueSales, Strategy: "rrmemory", Members: []string{"PJSIP/1002"}},
			{Name: QueueSupport, Strategy: "leastrecent"},
		},
	}
	for i, name := range names {
		num := "100" + string(rune('1'+i))
		f.Extensions = append(f.Extensions, Extension{
			Number:       num,
			Secret:       "pbxkit-" + num,
			Name:         name,
			Mailbox:      num + "@" + VoicemailContext,
			VoicemailPIN: "1234",
		})
	}
	return f
}

// Extension returns the fixture extension with that number.
func (f Fixture) Extension(number string) (Extension, bool) {
	for _, e := range f.Extensions {
		if e.Number == number {
			return e, true
		}
	}
	return Extension{}, false
}
