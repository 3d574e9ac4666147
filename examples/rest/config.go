package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
)

// defaultURL is the PBX used when neither --pbx nor PBX_URL names one.
const defaultURL = "mock://demo"

// config is pbxd's configuration, from flags and the environment.
type config struct {
	listen    string
	pbxURL    string
	tokens    string // path of the token store, "" for none
	publicURL string // where browsers reach pbxd; the OAuth redirect URI derives from it

	discord discordConfig

	corsOrigins []string // allowed origins; empty means no CORS headers at all

	rate       float64 // requests per second per token (or per client address); 0 = unlimited
	burst      int
	maxStreams int // concurrent event streams per token; 0 = unlimited
	heartbeat  time.Duration
	tokenTTL   time.Duration // lifetime of tokens minted by the Discord login
	cacheTTL   time.Duration // how long /system/records and /system/survey are cached
	timeout    time.Duration // bound on each request's PBX calls
	shutdown   time.Duration // grace period of a shutdown
	logLevel   slog.Level
}

// discordConfig configures the Discord OAuth login. Every URL is settable so
// that tests run the flow against a local fake.
type discordConfig struct {
	clientID     string
	clientSecret string // from $DISCORD_CLIENT_SECRET only, never a flag
	authorizeURL string
	tokenURL     string
	apiURL       string // API base; /users/@me is appended
	redirectURL  string // "" derives it from publicURL
	scope        string
}

func (d discordConfig) enabled() bool { return d.clientID != "" && d.clientSecret != "" }

// parseConfig reads flags and environment. Usage goes to stderr.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("pbxd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `pbxd serves LiteNet's per-user PBX API (examples/rest/openapi.json) over a
pbxkit backend, with a live event stream and a dashboard.

Usage: pbxd [flags]

The PBX is chosen by URL: --pbx, else $PBX_URL, else %s (an in-memory
demo PBX). With the mock backend and no --tokens file, the demo token
%s signs in as extension %s.

pbxd is a control plane for a PBX: keep it on loopback or behind a TLS
reverse proxy; see README.md ("Exposure").

Flags:
`, defaultURL, tokenfile.DemoToken, tokenfile.DemoExtension)
		fs.PrintDefaults()
	}
	var cors, level string
	fs.StringVar(&c.listen, "listen", ":3001", "address to listen on (host:port); \"127.0.0.1:3001\" keeps it on loopback")
	// The default URL is resolved below, not shown: PBX_URL may hold a password.
	fs.StringVar(&c.pbxURL, "pbx", "", "PBX URL (default $PBX_URL, else "+defaultURL+")")
	fs.StringVar(&c.tokens, "tokens", "", "token store (JSON file, see README.md); Discord logins are saved to it")
	fs.StringVar(&c.publicURL, "public-url", "http://localhost:3001", "URL browsers use to reach pbxd (for the OAuth redirect URI)")
	fs.StringVar(&c.discord.clientID, "discord-client-id", getenv("DISCORD_CLIENT_ID"), "Discord application's client ID (default $DISCORD_CLIENT_ID); the secret comes from $DISCORD_CLIENT_SECRET")
	fs.StringVar(&c.discord.authorizeURL, "discord-authorize-url", "https://discord.com/oauth2/authorize", "Discord OAuth2 authorization endpoint")
	fs.StringVar(&c.discord.tokenURL, "discord-token-url", "https://discord.com/api/oauth2/token", "Discord OAuth2 token endpoint")
	fs.StringVar(&c.discord.apiURL, "discord-api-url", "https://discord.com/api/v10", "Discord API base URL")
	fs.StringVar(&c.discord.redirectURL, "discord-redirect-url", "", "OAuth2 redirect URI (default <public-url>/auth/discord/callback)")
	fs.StringVar(&cors, "cors-origin", "", "comma-separated origins allowed to call the API from a browser (default none: CORS off)")
	fs.Float64Var(&c.rate, "rate", 10, "requests per second allowed per token, or per client address without one (0: unlimited)")
	fs.IntVar(&c.burst, "burst", 40, "burst size of the rate limit")
	fs.IntVar(&c.maxStreams, "max-streams", 8, "concurrent event streams per token (0: unlimited)")
	fs.DurationVar(&c.heartbeat, "heartbeat", 15*time.Second, "interval of event-stream heartbeat comments")
	fs.DurationVar(&c.tokenTTL, "token-ttl", 30*24*time.Hour, "lifetime of tokens minted by the Discord login")
	fs.DurationVar(&c.cacheTTL, "public-cache", 30*time.Second, "how long /system/records and /system/survey answers are cached")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Second, "bound on the PBX calls of one request")
	fs.DurationVar(&c.shutdown, "shutdown-timeout", 10*time.Second, "how long a shutdown waits for requests to finish")
	fs.StringVar(&level, "log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.pbxURL == "" {
		c.pbxURL = getenv("PBX_URL")
	}
	if c.pbxURL == "" {
		c.pbxURL = defaultURL
	}
	c.discord.clientSecret = getenv("DISCORD_CLIENT_SECRET")
	c.discord.scope = "identify"
	for o := range strings.SplitSeq(cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			if err := checkOrigin(o); err != nil {
				return nil, err
			}
			c.corsOrigins = append(c.corsOrigins, strings.TrimRight(o, "/"))
		}
	}
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	if _, _, err := net.SplitHostPort(c.listen); err != nil {
		return nil, fmt.Errorf("--listen %q: %w", c.listen, err)
	}
	pu, err := url.Parse(c.publicURL)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return nil, fmt.Errorf("--public-url %q: want http(s)://host[:port]", c.publicURL)
	}
	c.publicURL = strings.TrimRight(c.publicURL, "/")
	if c.discord.redirectURL == "" {
		c.discord.redirectURL = c.publicURL + "/auth/discord/callback"
	}
	switch {
	case c.rate < 0 || c.burst < 1 && c.rate > 0:
		return nil, errors.New("--rate must be >= 0 and --burst >= 1")
	case c.maxStreams < 0:
		return nil, errors.New("--max-streams must be >= 0")
	case c.heartbeat <= 0 || c.tokenTTL <= 0 || c.timeout <= 0 || c.shutdown <= 0 || c.cacheTTL < 0:
		return nil, errors.New("durations must be positive")
	}
	return c, nil
}

// checkOrigin accepts an origin as browsers send it: scheme://host[:port].
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("--cors-origin %q: want scheme://host[:port]", o)
	}
	if o == "*" {
		return errors.New("--cors-origin: wildcards are not allowed; list the origins")
	}
	return nil
}

// loopback reports whether addr (host:port) listens on loopback only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func getenvOS(k string) string { return os.Getenv(k) }
