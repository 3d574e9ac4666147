package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// activeCall is the document's ActiveCall; duration is "HH:MM:SS".
type activeCall struct {
	Channel         string `json:"channel"`
	UniqueID        string `json:"uniqueId"`
	Caller          party  `json:"caller"`
	ConnectedLine   party  `json:"connectedLine"`
	State           string `json:"state"`
	Duration        string `json:"duration"`
	Application     string `json:"application"`
	ApplicationData string `json:"applicationData"`
}

type party struct {
	Number string `json:"number"`
	Name   string `json:"name"`
}

// GET /extensions/me/calls
func (s *server) getCalls(w http.ResponseWriter, r *http.Request, p *principal) {
	calls, err := s.pbx.Calls().List(r.Context(), &pbx.CallFilter{Extension: p.ext})
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	out := make([]activeCall, len(calls))
	for i, c := range calls {
		out[i] = toActiveCall(&c)
	}
	writeJSON(w, http.StatusOK, out)
}

func toActiveCall(c *pbx.Call) activeCall {
	return activeCall{
		Channel:         c.Channel,
		UniqueID:        string(c.ID),
		Caller:          party{Number: c.Caller.Number, Name: c.Caller.Name},
		ConnectedLine:   party{Number: c.Connected.Number, Name: c.Connected.Name},
		State:           channelState(c.State),
		Duration:        hhmmss(c.Duration),
		Application:     c.Application,
		ApplicationData: c.ApplicationData,
	}
}

// channelState spells a call state as Asterisk spells channel states ("Up",
// "Ringing"), as the document does. Asterisk has no held state: a held
// channel is Up.
func channelState(s pbx.CallState) string {
	switch s {
	case pbx.CallStateDown:
		return "Down"
	case pbx.CallStateDialing:
		return "Dialing"
	case pbx.CallStateRinging:
		return "Ringing"
	case pbx.CallStateBusy:
		return "Busy"
	}
	return "Up"
}

// hhmmss formats a duration as the document's "HH:MM:SS" (hours go past 99
// if they must).
func hhmmss(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

type hangupResult struct {
	Message            string   `json:"message"`
	TerminatedChannels []string `json:"terminatedChannels"`
}

// DELETE /extensions/me/calls
func (s *server) deleteCalls(w http.ResponseWriter, r *http.Request, p *principal) {
	done, err := s.pbx.Calls().HangupExtension(r.Context(), p.ext)
	if err != nil && len(done) == 0 {
		s.pbxError(w, r, err)
		return
	}
	if err != nil {
		// Some legs were hung up before the failure: report those, as the
		// document's message is about what was requested.
		s.log.Warn("hang-up stopped early", "ext", p.ext, "err", err)
	}
	out := hangupResult{TerminatedChannels: make([]string, len(done))}
	for i, c := range done {
		out.TerminatedChannels[i] = c.Channel
	}
	if len(done) == 0 {
		out.Message = fmt.Sprintf("No active calls for extension %s.", p.ext)
	} else {
		out.Message = fmt.Sprintf("Successfully requested termination for %d call(s) for extension %s.", len(done), p.ext)
	}
	writeJSON(w, http.StatusOK, out)
}
