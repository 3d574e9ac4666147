package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// The response bodies below carry exactly the document's field names and
// types (components.schemas and the operations' inline schemas).

// extensionDetails is the document's ExtensionDetails.
type extensionDetails struct {
	Status      bool       `json:"status"`
	Message     string     `json:"message"`
	ID          string     `json:"id"`
	ExtensionID string     `json:"extensionId"`
	User        extUser    `json:"user"`
	CoreDevice  coreDevice `json:"coreDevice"`
}

type extUser struct {
	Name                string `json:"name"`
	OutboundCid         string `json:"outboundCid"`
	Voicemail           string `json:"voicemail"`
	Ringtimer           int    `json:"ringtimer"`
	Noanswer            string `json:"noanswer"`
	NoanswerDestination string `json:"noanswerDestination"`
	NoanswerCid         string `json:"noanswerCid"`
	BusyCid             string `json:"busyCid"`
	Sipname             string `json:"sipname"`
	ExtPassword         string `json:"extPassword"`
}

type coreDevice struct {
	DeviceID     string `json:"deviceId"`
	Dial         string `json:"dial"`
	Devicetype   string `json:"devicetype"`
	Description  string `json:"description"`
	EmergencyCid string `json:"emergencyCid"`
	Tech         string `json:"tech"`
}

// GET /extensions/me
func (s *server) getExtension(w http.ResponseWriter, r *http.Request, p *principal) {
	e, err := s.pbx.Extensions().Get(r.Context(), p.ext)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	name := e.Name
	if p.discordName != "" {
		name = p.discordName // "Discord display name"
	}
	writeJSON(w, http.StatusOK, extensionDetails{
		Status:      true,
		Message:     "Extension found successfully",
		ID:          base64.StdEncoding.EncodeToString([]byte("extension:" + string(e.ID))),
		ExtensionID: string(e.ID),
		User: extUser{
			Name:                name,
			OutboundCid:         e.OutboundCallerID,
			Voicemail:           voicemailContext(e.Mailbox),
			Ringtimer:           int(e.RingTime / time.Second),
			NoanswerDestination: e.NoAnswerDestination,
			// The secret is never sent; the document's dashboard masks it too.
			// POST /extensions/me/resetsecret is the one way to learn it.
			ExtPassword: "REDACTED",
		},
		CoreDevice: coreDevice{
			DeviceID:    string(e.ID),
			Dial:        e.Dial,
			Devicetype:  "fixed",
			Description: e.Name,
			Tech:        e.Tech.String(),
		},
	})
}

// voicemailContext is FreePBX's "voicemail" user setting: the mailbox's
// context, "default" when it has none, "novm" without a mailbox.
func voicemailContext(box pbx.MailboxID) string {
	switch {
	case box == "":
		return "novm"
	case box.Context() != "":
		return box.Context()
	}
	return "default"
}

type deviceStatus struct {
	Extension      string  `json:"extension"`
	DeviceState    string  `json:"deviceState"`
	ActiveChannels *string `json:"activeChannels"`
}

// GET /extensions/me/devicestatus
func (s *server) getDeviceStatus(w http.ResponseWriter, r *http.Request, p *principal) {
	dev, err := s.pbx.Devices().Get(r.Context(), p.ext)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	calls, err := s.pbx.Calls().List(r.Context(), &pbx.CallFilter{Extension: p.ext})
	if err != nil && pbx.Code(err) != pbx.Unsupported {
		s.pbxError(w, r, err)
		return
	}
	out := deviceStatus{Extension: string(p.ext), DeviceState: deviceStateText(dev.State)}
	if len(calls) > 0 {
		names := make([]string, len(calls))
		for i, c := range calls {
			names[i] = c.Channel
		}
		joined := strings.Join(names, ", ")
		out.ActiveChannels = &joined
	}
	writeJSON(w, http.StatusOK, out)
}

// deviceStateText is the human-readable state the document shows
// ("Registered", "In use").
func deviceStateText(s pbx.DeviceState) string {
	switch s {
	case pbx.DeviceNotInUse:
		return "Registered"
	case pbx.DeviceInUse:
		return "In use"
	case pbx.DeviceBusy:
		return "Busy"
	case pbx.DeviceRinging:
		return "Ringing"
	case pbx.DeviceRingInUse:
		return "Ringing (in use)"
	case pbx.DeviceOnHold:
		return "On hold"
	case pbx.DeviceUnavailable:
		return "Unavailable"
	case pbx.DeviceInvalid:
		return "Invalid"
	}
	return "Unknown"
}

type messageBody struct {
	Message string `json:"message"`
}

// POST /extensions/me/callme?mode=hold|echo[&callerId=...][&autoAnswerMode=...]
func (s *server) postCallMe(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	var req pbx.CallMeRequest
	mode := q.Get("mode")
	switch mode {
	case "hold":
		req.Mode = pbx.ModeMusicOnHold
	case "echo":
		req.Mode = pbx.ModeEchoTest
	default:
		writeError(w, http.StatusBadRequest, codeInvalid, `query parameter "mode" must be "hold" or "echo"`)
		return
	}
	if cid := q.Get("callerId"); cid != "" {
		req.CallerID = callerID(cid, p.ext, req.Mode)
	}
	auto, ok := autoAnswer(q.Get("autoAnswerMode"))
	if !ok {
		writeError(w, http.StatusBadRequest, codeInvalid,
			`query parameter "autoAnswerMode" must be one of none, off, false, 0, intercom, auto, on, true, 1`)
		return
	}
	req.AutoAnswer = auto
	if _, err := s.pbx.Calls().CallMe(r.Context(), p.ext, req); err != nil {
		s.pbxError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messageBody{fmt.Sprintf("Successfully initiated %s call to extension %s.", mode, p.ext)})
}

// callerID reads the callerId parameter: a number replaces the number shown
// (with the default name); anything else replaces the name. The library
// rejects what a PBX could misread (quotes, control characters).
func callerID(s string, ext pbx.ExtensionID, mode pbx.CallMode) pbx.Party {
	name := "Call Me Test (MusicOnHold)"
	if mode == pbx.ModeEchoTest {
		name = "Call Me Test (Echo)"
	}
	if pbx.ValidateNumber(s) == nil {
		return pbx.Party{Name: name, Number: s}
	}
	return pbx.Party{Name: s, Number: string(ext)}
}

// autoAnswer reads the autoAnswerMode parameter, which the document leaves
// free-form: pbxd accepts the usual spellings of off and on.
func autoAnswer(s string) (on, ok bool) {
	switch strings.ToLower(s) {
	case "", "none", "off", "false", "0":
		return false, true
	case "intercom", "auto", "on", "true", "1":
		return true, true
	}
	return false, false
}

type newSecretBody struct {
	NewSecret string `json:"newSecret"`
}

// POST /extensions/me/resetsecret. The new secret is in this one response
// and nowhere else: not in logs (nothing logs bodies) nor in events.
func (s *server) postResetSecret(w http.ResponseWriter, r *http.Request, p *principal) {
	secret, err := s.pbx.Extensions().ResetSecret(r.Context(), p.ext)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	s.log.Info("SIP secret reset", "ext", p.ext)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, newSecretBody{secret})
}

type dndStatus struct {
	Extension string `json:"extension"`
	DNDStatus bool   `json:"dndStatus"`
}

type dndUpdated struct {
	Message   string `json:"message"`
	Extension string `json:"extension"`
	DNDStatus bool   `json:"dndStatus"`
}

// GET /extensions/me/dnd
func (s *server) getDND(w http.ResponseWriter, r *http.Request, p *principal) {
	on, err := s.pbx.Devices().DND(r.Context(), p.ext)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dndStatus{Extension: string(p.ext), DNDStatus: on})
}

// POST /extensions/me/dnd {"dndStatus": true}
func (s *server) postDND(w http.ResponseWriter, r *http.Request, p *principal) {
	var body struct {
		DNDStatus *bool `json:"dndStatus"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if body.DNDStatus == nil {
		writeError(w, http.StatusBadRequest, codeInvalid, `the body needs "dndStatus": true or false`)
		return
	}
	on := *body.DNDStatus
	if err := s.pbx.Devices().SetDND(r.Context(), p.ext, on); err != nil {
		s.pbxError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dndUpdated{
		Message:   fmt.Sprintf("DND status for extension %s set to %t.", p.ext, on),
		Extension: string(p.ext), DNDStatus: on,
	})
}

// registeredDevice is the document's RegisteredDevice; port and pingMs are
// strings there.
type registeredDevice struct {
	URI       string `json:"uri"`
	UserAgent string `json:"useragent"`
	IP        string `json:"ip"`
	Port      string `json:"port"`
	PingMs    string `json:"pingMs"`
}

// GET /extensions/me/endpoint
func (s *server) getEndpoints(w http.ResponseWriter, r *http.Request, p *principal) {
	dev, err := s.pbx.Devices().Get(r.Context(), p.ext)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	out := make([]registeredDevice, 0, len(dev.Contacts))
	for _, c := range dev.Contacts {
		d := registeredDevice{URI: c.URI, UserAgent: c.UserAgent, IP: c.IP}
		if c.Port > 0 {
			d.Port = strconv.Itoa(c.Port)
		}
		if c.RTT > 0 {
			d.PingMs = strconv.FormatFloat(float64(c.RTT)/float64(time.Millisecond), 'f', 2, 64)
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, out)
}

// jsonDecoder decodes request bodies.
func jsonDecoder(r io.Reader) *json.Decoder { return json.NewDecoder(r) }
