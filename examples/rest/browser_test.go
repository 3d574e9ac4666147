package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
)

// The dashboard test drives the page in a real headless Chromium.
//
// It saves a screenshot to the -screenshot flag's path (go test
// ./examples/rest -run Browser -args -screenshot=dashboard.png), else to
// $PBXD_SCREENSHOT, else into the test's temporary directory; it logs the
// path. Without Chromium it skips, naming the install command, except under
// CI=true, where it fails: a browser test must not skip silently in CI.

var screenshotFlag = flag.String("screenshot", "", "where the browser test saves its screenshot of the dashboard (default $PBXD_SCREENSHOT, else a temporary directory)")

// chromiumInstall is the command that installs the browser the test needs.
const chromiumInstall = "apt-get install -y chromium"

// missing skips the test locally and fails it under CI=true; the same rule
// as the library's internal/testenv, which this module cannot import.
func missing(t *testing.T, what, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true but is unavailable: %s", what, why)
	}
	t.Skipf("%s is unavailable (%s); install it with %q and run the tests again", what, why, chromiumInstall)
}

// chromium finds the browser: $PBXD_CHROMIUM, else the usual names in PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PBXD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "Chromium", "no chromium, chromium-browser or google-chrome in PATH")
	return ""
}

func screenshotPath(t *testing.T) string {
	switch {
	case *screenshotFlag != "":
		return *screenshotFlag
	case os.Getenv("PBXD_SCREENSHOT") != "":
		return os.Getenv("PBXD_SCREENSHOT")
	}
	return filepath.Join(t.TempDir(), "dashboard.png")
}

func TestBrowserDashboard(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test is not short")
	}
	exe := chromium(t)
	ts := newTestServer(t, nil, nil)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1400),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelTab()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	// Start the browser now, so that a browser that cannot start is told
	// apart from a page that misbehaves.
	if err := chromedp.Do(ctx); err != nil {
		missing(t, "Chromium", fmt.Sprintf("%s does not start: %v", exe, err))
	}
	// Collect the page's uncaught exceptions.
	var mu sync.Mutex
	var exceptions []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			mu.Lock()
			exceptions = append(exceptions, msg)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	wait := func(what, predicate string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](predicate, chromedp.WithPollingTimeout(15*time.Second),
			chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
			t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, html)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluating %s: %v", expr, err)
		}
		return v
	}
	text := func(sel string) string {
		return eval(`(document.querySelector(` + jsString(sel) + `) || {}).textContent || ''`)
	}

	// Sign in with the demo token.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible("#login-form"),
		chromedp.SendKeys("#token", tokenfile.DemoToken),
		chromedp.Click("#login-button"),
		chromedp.WaitVisible("#app"),
	); err != nil {
		t.Fatal(err)
	}
	wait("extension 1010", `document.querySelector('#ext-number').textContent === '1010'`)
	wait("the live stream", `document.querySelector('#stream-status').textContent === 'live'`)
	wait("the demo's call-me call", `document.querySelectorAll('#calls tbody tr').length === 1 &&
		document.querySelector('#calls tbody').textContent.includes('MusicOnHold')`)
	wait("4 voicemails", `document.querySelectorAll('#voicemails tbody tr').length === 4`)
	wait("conference 400", `document.querySelector('#conferences tbody').textContent.includes('400')`)
	wait("the registered phone", `document.querySelector('#endpoints tbody').textContent.includes('Linphone')`)
	if s := text("#device-state"); s != "In use" {
		t.Errorf("device state %q, want In use", s)
	}
	if s := text("#ext-name"); s != "rocord" {
		t.Errorf("name %q, want rocord", s)
	}

	// A call started through the API appears without a reload: the page
	// keeps its JavaScript state (the marker) and learns of the call from
	// the event stream.
	eval(`window.__pbxdMarker = 'same page'; ''`)
	if r := ts.do(t, "POST", "/extensions/me/callme?mode=echo", tokenfile.DemoToken, nil); r.status != 200 {
		t.Fatalf("callme: %d %s", r.status, r.body)
	}
	wait("the new echo-test call", `document.querySelectorAll('#calls tbody tr').length === 2 &&
		document.querySelector('#calls tbody').textContent.includes('Call Me Test (Echo)')`)
	wait("the event log", `document.querySelector('#event-log').textContent.includes('call.started')`)
	if m := eval(`window.__pbxdMarker || 'reloaded'`); m != "same page" {
		t.Fatalf("the page reloaded (%s)", m)
	}

	// DND from the page reaches the PBX.
	if err := chromedp.Do(ctx, chromedp.Click("#dnd-toggle")); err != nil {
		t.Fatal(err)
	}
	wait("DND on", `document.querySelector('#dnd-state').textContent === 'on'`)
	if on, err := ts.client.Devices().DND(t.Context(), "1010"); err != nil || !on {
		t.Errorf("DND on the PBX: %v %v", on, err)
	}

	// Voicemail playback fetches the audio with the token and plays a blob.
	if err := chromedp.Do(ctx, chromedp.Click("#voicemails tbody tr:first-child button")); err != nil {
		t.Fatal(err)
	}
	wait("the player", `document.querySelector('#player').src.startsWith('blob:')`)

	// A voicemail arriving shows up live.
	if _, err := ts.pbx.LeaveVoicemail("1010", partyOf("WIRELESS CALLER", "+15557654321"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	wait("the new voicemail", `document.querySelectorAll('#voicemails tbody tr').length === 5`)

	// Hang up from the page.
	if err := chromedp.Do(ctx, chromedp.Click("#hangup-all")); err != nil {
		t.Fatal(err)
	}
	wait("no calls", `document.querySelectorAll('#calls tbody tr').length === 0`)
	// Put one call back for the screenshot.
	if r := ts.do(t, "POST", "/extensions/me/callme?mode=hold", tokenfile.DemoToken, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	wait("the call for the screenshot", `document.querySelectorAll('#calls tbody tr').length === 1`)

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := screenshotPath(t)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the dashboard: %s (%d bytes)", path, len(png))

	mu.Lock()
	defer mu.Unlock()
	if len(exceptions) > 0 {
		t.Errorf("the page threw:\n%s", strings.Join(exceptions, "\n"))
	}
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }
