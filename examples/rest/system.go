package main

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// The two public statistics endpoints read the whole CDR history and every
// device, so their answers are cached (--public-cache) and computed by one
// request at a time: a flood of anonymous requests costs the PBX one
// computation per cache period.

// cached holds one value computed by fetch, for ttl.
type cached[T any] struct {
	ttl   time.Duration
	fetch func(context.Context) (T, error)

	mu  sync.Mutex
	at  time.Time
	val T
	ok  bool
}

func newCached[T any](ttl time.Duration, fetch func(context.Context) (T, error)) *cached[T] {
	return &cached[T]{ttl: ttl, fetch: fetch}
}

func (c *cached[T]) get(ctx context.Context) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && time.Since(c.at) < c.ttl {
		return c.val, nil
	}
	v, err := c.fetch(ctx)
	if err != nil {
		return v, err
	}
	c.val, c.at, c.ok = v, time.Now(), true
	return v, nil
}

// callRecords is the document's CallRecords: "records" holds the declared
// fields plus one "monthly_total_YYYY-MM" member per month (its
// additionalProperties).
type callRecords struct {
	Records map[string]any `json:"records"`
}

type recordDay struct {
	Count int    `json:"count"`
	Date  string `json:"date,omitempty"`
}

// GET /system/records (public)
func (s *server) getRecords(w http.ResponseWriter, r *http.Request) {
	v, err := s.records.get(r.Context())
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *server) fetchRecords(ctx context.Context) (callRecords, error) {
	st, err := s.pbx.CDR().Stats(ctx, time.UTC)
	if err != nil {
		return callRecords{}, err
	}
	rec := map[string]any{
		"total_calls_ever_placed": st.Total,
		"record_calls":            recordDay{Count: st.RecordCount, Date: st.RecordDay},
		"last_updated":            st.Updated.UTC().Format(time.RFC3339),
	}
	for month, n := range st.PerMonth {
		rec["monthly_total_"+month] = n
	}
	return callRecords{Records: rec}, nil
}

// surveyData is the document's SurveyData.
type surveyData struct {
	PhoneTypes          map[string]int `json:"phoneTypes"`
	Brands              map[string]int `json:"brands"`
	NeedsCategorization []uaOnly       `json:"needsCategorization"`
	LastUpdated         string         `json:"lastUpdated"`
}

type uaOnly struct {
	UA string `json:"ua"`
}

// GET /system/survey (public)
func (s *server) getSurvey(w http.ResponseWriter, r *http.Request) {
	v, err := s.survey.get(r.Context())
	if err != nil {
		s.pbxError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *server) fetchSurvey(ctx context.Context) (surveyData, error) {
	uas, err := s.pbx.System().UserAgents(ctx)
	if err != nil {
		return surveyData{}, err
	}
	return buildSurvey(uas, time.Now()), nil
}

// buildSurvey classifies the registered user agents: known ones count towards
// a phone type and a brand, the others are listed for a human to classify.
func buildSurvey(uas []pbx.UserAgentCount, now time.Time) surveyData {
	out := surveyData{PhoneTypes: map[string]int{}, Brands: map[string]int{},
		NeedsCategorization: []uaOnly{}, LastUpdated: now.UTC().Format(time.RFC3339)}
	for _, u := range uas {
		if u.UserAgent == "" {
			continue // nothing to classify
		}
		kind, brand, ok := classifyUserAgent(u.UserAgent)
		if !ok {
			out.NeedsCategorization = append(out.NeedsCategorization, uaOnly{u.UserAgent})
			continue
		}
		out.PhoneTypes[kind] += u.Count
		out.Brands[brand] += u.Count
	}
	return out
}

// serveSpec serves the OpenAPI document, as published.
func serveSpec(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiJSON)
}
