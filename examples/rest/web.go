package main

import (
	"embed"
	"io/fs"
	"net/http"
)

// openapiJSON is LiteNet's OpenAPI document exactly as published (see
// README.md, "The document", for its quirks and why it needs no repair).
//
//go:embed openapi.json
var openapiJSON []byte

// webFS holds the dashboard: static HTML, CSS and JavaScript, no build step.
//
//go:embed web
var webFS embed.FS

// dashboardCSP keeps the dashboard to its own scripts and styles: no inline
// script, no third-party origin, audio only from blob: URLs it made itself.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; media-src 'self' blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// serveDashboard serves the dashboard at / and a JSON 404 elsewhere.
func serveDashboard(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, codeNotFound, "no such route: "+r.URL.Path)
		return
	}
	page, err := webFS.ReadFile("web/index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, "Internal Server Error")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", dashboardCSP)
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(page)
}

// serveStatic serves the dashboard's assets under /static/.
func serveStatic() http.HandlerFunc {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // the embedded tree always has web/
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", dashboardCSP)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}
}
