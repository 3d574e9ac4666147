package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// Voicemail is reached by message ID only, and only in the signed-in user's
// own mailbox: an ID from another mailbox is simply not found there (404),
// and IDs are validated by the library (400) before anything reaches the
// PBX. No path ever comes from the client.

// voicemail is the document's Voicemail. messageId is the message's stable
// ID; originalMessageId is its app_voicemail file name in its folder
// ("msg0003"), as in the document's delete example.
type voicemail struct {
	MessageID         string  `json:"messageId"`
	CallerIDNum       string  `json:"callerIdNum"`
	CallerIDName      string  `json:"callerIdName"`
	Date              string  `json:"date"`
	Duration          float64 `json:"duration"`
	FileSize          int64   `json:"fileSize"`
	HasAudio          bool    `json:"hasAudio"`
	Folder            string  `json:"folder"`
	OriginalMessageID string  `json:"originalMessageId"`
}

// voicemailDate is the date(1) format of the document's example,
// "Wed Mar 18 11:57:09 PM UTC 2026", in UTC.
const voicemailDate = "Mon Jan _2 03:04:05 PM MST 2006"

func msgNumber(n int) string { return fmt.Sprintf("msg%04d", n) }

func toVoicemail(m *pbx.Message) voicemail {
	return voicemail{
		MessageID:         string(m.ID),
		CallerIDNum:       m.Caller.Number,
		CallerIDName:      m.Caller.Name,
		Date:              m.Time.UTC().Format(voicemailDate),
		Duration:          m.Duration.Seconds(),
		FileSize:          m.Size,
		HasAudio:          m.Size > 0,
		Folder:            string(m.Folder),
		OriginalMessageID: msgNumber(m.Number),
	}
}

// mailbox returns the signed-in user's mailbox, or answers 404.
func (s *server) mailbox(w http.ResponseWriter, r *http.Request, p *principal) (pbx.MailboxID, bool) {
	e, err := s.pbx.Extensions().Get(r.Context(), p.ext)
	switch {
	case pbx.Code(err) == pbx.Unsupported:
		return pbx.MailboxID(p.ext), true // backends without extension reads: the usual mailbox
	case err != nil:
		s.pbxError(w, r, err)
		return "", false
	case e.Mailbox == "":
		writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("extension %s has no voicemail box", p.ext))
		return "", false
	}
	return e.Mailbox, true
}

// GET /extensions/me/voicemails
func (s *server) getVoicemails(w http.ResponseWriter, r *http.Request, p *principal) {
	box, ok := s.mailbox(w, r, p)
	if !ok {
		return
	}
	msgs, err := s.pbx.Voicemail().Messages(r.Context(), box, nil)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	out := make([]voicemail, len(msgs))
	for i := range msgs {
		out[i] = toVoicemail(&msgs[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /extensions/me/voicemails/{messageId}/download
func (s *server) getVoicemailAudio(w http.ResponseWriter, r *http.Request, p *principal) {
	box, ok := s.mailbox(w, r, p)
	if !ok {
		return
	}
	id := pbx.MessageID(r.PathValue("messageId"))
	a, err := s.pbx.Voicemail().Audio(r.Context(), box, id)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	defer a.Close()
	h := w.Header()
	ct := a.ContentType
	if ct == "" || ct == "audio/x-wav" || ct == "audio/wave" {
		ct = "audio/wav" // the document's media type
	}
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "private, no-store")
	// The ID was validated by the library: letters, digits, '_' and '-'.
	name := "voicemail-" + string(id)
	if ct == "audio/wav" {
		name += ".wav"
	}
	h.Set("Content-Disposition", `inline; filename="`+name+`"`)
	if a.Size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	}
	// Audio can be long: allow for a slow reader, within reason.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(5 * time.Minute))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, a); err != nil {
		s.log.Debug("voicemail download cut short", "ext", p.ext, "err", err)
	}
}

type moveResult struct {
	Message          string `json:"message"`
	MessageID        string `json:"messageId"`
	SourceFolder     string `json:"sourceFolder"`
	TargetFolder     string `json:"targetFolder"`
	NewMessageNumber string `json:"newMessageNumber"`
}

// PATCH /extensions/me/voicemails/{messageId}/move {"targetFolder": "Old"}
func (s *server) patchVoicemailMove(w http.ResponseWriter, r *http.Request, p *principal) {
	var body struct {
		TargetFolder *string `json:"targetFolder"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if body.TargetFolder == nil {
		writeError(w, http.StatusBadRequest, codeInvalid, `the body needs "targetFolder"`)
		return
	}
	to := pbx.Folder(*body.TargetFolder) // exact spelling, as the document's enum
	if err := to.Validate(); err != nil {
		s.pbxError(w, r, err)
		return
	}
	box, ok := s.mailbox(w, r, p)
	if !ok {
		return
	}
	id := pbx.MessageID(r.PathValue("messageId"))
	before, err := s.pbx.Voicemail().Message(r.Context(), box, id)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	after, err := s.pbx.Voicemail().Move(r.Context(), box, id, to)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, moveResult{
		Message:          fmt.Sprintf("Voicemail moved from %s to %s.", before.Folder, after.Folder),
		MessageID:        string(after.ID),
		SourceFolder:     string(before.Folder),
		TargetFolder:     string(after.Folder),
		NewMessageNumber: msgNumber(after.Number),
	})
}

type deleteResult struct {
	Message           string `json:"message"`
	MessageID         string `json:"messageId"`
	Folder            string `json:"folder"`
	OriginalMessageID string `json:"originalMessageId"`
}

// DELETE /extensions/me/voicemails/{messageId}
func (s *server) deleteVoicemail(w http.ResponseWriter, r *http.Request, p *principal) {
	box, ok := s.mailbox(w, r, p)
	if !ok {
		return
	}
	id := pbx.MessageID(r.PathValue("messageId"))
	m, err := s.pbx.Voicemail().Message(r.Context(), box, id)
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	if err := s.pbx.Voicemail().Delete(r.Context(), box, id); err != nil {
		s.pbxError(w, r, err)
		return
	}
	num := msgNumber(m.Number)
	writeJSON(w, http.StatusOK, deleteResult{
		Message:           fmt.Sprintf("Voicemail %s deleted permanently from %s.", num, m.Folder),
		MessageID:         string(m.ID),
		Folder:            string(m.Folder),
		OriginalMessageID: num,
	})
}
