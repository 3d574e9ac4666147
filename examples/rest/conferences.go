package main

import (
	"fmt"
	"net/http"

	"github.com/pbxkit/pbxkit/pbx"
)

// conferenceRoom is the document's ConferenceRoom.
type conferenceRoom struct {
	ConferenceID string `json:"conferenceId"`
	Parties      int    `json:"parties"`
	Marked       int    `json:"marked"`
	Locked       bool   `json:"locked"`
}

// participant is the document's Participant.
type participant struct {
	Channel      string `json:"channel"`
	CallerIDNum  string `json:"callerIdNum"`
	CallerIDName string `json:"callerIdName"`
	Muted        bool   `json:"muted"`
	Admin        bool   `json:"admin"`
	Talking      bool   `json:"talking"`
}

// GET /conferences (public, as the document says)
func (s *server) getConferences(w http.ResponseWriter, r *http.Request) {
	rooms, err := s.pbx.Conferences().List(r.Context())
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	out := make([]conferenceRoom, len(rooms))
	for i, c := range rooms {
		out[i] = conferenceRoom{ConferenceID: string(c.ID), Parties: c.Parties, Marked: c.Marked, Locked: c.Locked}
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /conferences/{conferenceId} (public, as the document says): the
// participants of an active room; 404 for a room nobody is in.
func (s *server) getParticipants(w http.ResponseWriter, r *http.Request) {
	parts, err := s.pbx.Conferences().Participants(r.Context(), pbx.ConferenceID(r.PathValue("conferenceId")))
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	out := make([]participant, len(parts))
	for i, p := range parts {
		out[i] = participant{Channel: p.Channel, CallerIDNum: p.Caller.Number, CallerIDName: p.Caller.Name,
			Muted: p.Muted, Admin: p.Admin, Talking: p.Talking}
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /conferences/{conferenceId}/connectme: rings the user's extension and
// puts it into the room once answered. The document gives the 200 no body;
// pbxd answers {"message": ...}.
func (s *server) postConnectMe(w http.ResponseWriter, r *http.Request, p *principal) {
	room := pbx.ConferenceID(r.PathValue("conferenceId"))
	if _, err := s.pbx.Conferences().Join(r.Context(), room, p.ext, nil); err != nil {
		s.pbxError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messageBody{fmt.Sprintf("Calling extension %s to connect it to conference %s.", p.ext, room)})
}
