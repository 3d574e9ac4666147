package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
)

// The Discord login of the document ("Obtain a token via Discord OAuth at
// /auth/discord"), as an OAuth 2.0 authorization-code flow:
//
//  1. GET /auth/discord sets a random state in a short-lived, HttpOnly,
//     SameSite=Lax cookie and redirects to Discord's authorize URL with it.
//  2. Discord redirects back to GET /auth/discord/callback?code=...&state=...;
//     pbxd checks the state against the cookie (a forged callback, i.e. login
//     CSRF, has no matching cookie), exchanges the code for a Discord access
//     token (client secret by HTTP Basic), reads the Discord user from
//     /users/@me, and maps the Discord user ID to an extension through the
//     token store's "discord" table.
//  3. pbxd mints a random UUID token for that extension, saves its SHA-256 in
//     the token store, and hands the token over once: as JSON to a client
//     that asks for application/json, otherwise by a redirect to
//     /#token=<token>, where the dashboard picks it up. A URL fragment is
//     never sent to a server, so the token stays out of access logs.
//
// The Discord access token is used once and forgotten. Every endpoint is
// configurable (--discord-*-url) so that tests run the flow against a fake.

const stateCookie = "pbxd_oauth_state"

type discordLogin struct {
	cfg    discordConfig
	secure bool // cookies only over HTTPS: the public URL is https
	ttl    time.Duration
	tokens *tokenStore
	log    *slog.Logger
	client *http.Client
}

func newDiscordLogin(cfg discordConfig, publicURL string, ttl time.Duration, tokens *tokenStore, log *slog.Logger) *discordLogin {
	return &discordLogin{
		cfg: cfg, secure: strings.HasPrefix(publicURL, "https://"), ttl: ttl, tokens: tokens, log: log,
		client: &http.Client{
			Timeout: 10 * time.Second,
			// Discord's endpoints answer directly; a redirect would be a misconfiguration.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// GET /auth/discord
func (d *discordLogin) start(w http.ResponseWriter, r *http.Request) {
	if !d.cfg.enabled() {
		writeError(w, http.StatusNotImplemented, codeUnsupported,
			"the Discord login is not configured (--discord-client-id and $DISCORD_CLIENT_SECRET)")
		return
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	state := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: state, Path: "/auth/discord", MaxAge: 600,
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode,
	})
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {d.cfg.clientID},
		"scope":         {d.cfg.scope},
		"state":         {state},
		"redirect_uri":  {d.cfg.redirectURL},
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, d.cfg.authorizeURL+"?"+q.Encode(), http.StatusFound)
}

// discordUser is the part of Discord's user object pbxd reads.
type discordUser struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name"`
}

// loginResult is the JSON answer of the callback.
type loginResult struct {
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	Extension string `json:"extension"`
	ExpiresAt string `json:"expiresAt"`
}

// GET /auth/discord/callback
func (d *discordLogin) callback(w http.ResponseWriter, r *http.Request) {
	if !d.cfg.enabled() {
		writeError(w, http.StatusNotImplemented, codeUnsupported, "the Discord login is not configured")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	c, err := r.Cookie(stateCookie)
	// The state is single-use: clear the cookie whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/auth/discord", MaxAge: -1,
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode})
	state := q.Get("state")
	if err != nil || c.Value == "" || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		writeError(w, http.StatusBadRequest, codeInvalid, "the login state does not match; start again at /auth/discord")
		return
	}
	if e := q.Get("error"); e != "" {
		writeError(w, http.StatusForbidden, codeForbidden, "Discord did not authorize the login")
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > 512 {
		writeError(w, http.StatusBadRequest, codeInvalid, "the callback has no authorization code")
		return
	}
	access, err := d.exchange(r.Context(), code)
	if err != nil {
		d.log.Warn("Discord token exchange failed", "err", err)
		writeError(w, http.StatusBadGateway, codeUnavailable, "Discord did not accept the login; try again")
		return
	}
	user, err := d.me(r.Context(), access)
	if err != nil {
		d.log.Warn("reading the Discord user failed", "err", err)
		writeError(w, http.StatusBadGateway, codeUnavailable, "Discord did not return the user; try again")
		return
	}
	ext, ok := d.tokens.discordExtension(user.ID)
	if !ok {
		d.log.Info("Discord login without a linked extension", "discordId", user.ID)
		writeError(w, http.StatusForbidden, codeForbidden, "no extension is linked to this Discord account")
		return
	}
	name := user.GlobalName
	if name == "" {
		name = user.Username
	}
	token, expires, err := d.tokens.mint(ext, user.ID, name, d.ttl)
	if err != nil {
		d.log.Error("minting a token failed", "err", err)
		writeError(w, http.StatusInternalServerError, codeInternal, "Internal Server Error")
		return
	}
	d.log.Info("Discord login", "ext", ext, "discordId", user.ID)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, loginResult{Token: token, TokenType: "Bearer", Extension: string(ext),
			ExpiresAt: expires.Format(time.RFC3339)})
		return
	}
	http.Redirect(w, r, "/#token="+url.QueryEscape(token), http.StatusSeeOther)
}

// wantsJSON reports whether the client asked for JSON rather than a page.
func wantsJSON(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

// exchange trades an authorization code for a Discord access token.
func (d *discordLogin) exchange(ctx context.Context, code string) (string, error) {
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {d.cfg.redirectURL},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(d.cfg.clientID), url.QueryEscape(d.cfg.clientSecret)) // RFC 6749 §2.3.1
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := d.do(req, &tok); err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "Bearer") {
		return "", errors.New("token endpoint: no bearer access token in the answer")
	}
	return tok.AccessToken, nil
}

// me reads the Discord user the access token belongs to.
func (d *discordLogin) me(ctx context.Context, access string) (*discordUser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(d.cfg.apiURL, "/")+"/users/@me", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Accept", "application/json")
	var u discordUser
	if err := d.do(req, &u); err != nil {
		return nil, fmt.Errorf("users/@me: %w", err)
	}
	if !tokenfile.ValidDiscordID(u.ID) {
		return nil, errors.New("users/@me: the user has no valid ID")
	}
	return &u, nil
}

// do sends req and decodes a 200 JSON answer of at most 64 KiB into v.
// Errors name the status only: Discord's error bodies may echo the request.
func (d *discordLogin) do(req *http.Request, v any) error {
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(v)
}
