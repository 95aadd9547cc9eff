package apptest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/demo"
)

// One Chromium serves every browser test of a test binary: starting one costs seconds, a new
// browser context (its own cookies, like a private window) costs milliseconds.
var browser struct {
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	dataDir string
	err     error
}

// Main runs a package's tests and then stops the shared browser. Packages with browser tests
// call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
		os.RemoveAll(browser.dataDir)
	}
	os.Exit(code)
}

// ChromiumHint says how to install Chromium, for Tool's skip or failure message.
const ChromiumHint = "install the chromium package; `make test` does"

func startBrowser(path string) {
	browser.dataDir, browser.err = os.MkdirTemp("", "tokenboard-chromium-")
	if browser.err != nil {
		return
	}
	// The flags keep Chromium from reaching for the network (this machine has none) and from
	// needing a GPU or a sandbox user namespace.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(browser.dataDir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		browser.err = err
		return
	}
	browser.ctx = ctx
	browser.cancel = func() { cancelBrowser(); cancelAlloc() }
}

// Browser returns a chromedp context in a fresh browser context (no cookies shared with other
// tests), closed when the test ends. A missing Chromium skips the test under a plain `go test`
// and fails it under `make test` (see Tool).
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := Tool(t, "chromium", ChromiumHint)
	browser.once.Do(func() { startBrowser(path) })
	if browser.err != nil {
		t.Fatalf("starting Chromium %s: %v", path, browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	// A safety net, not a measure: browser tests run in parallel with the rest of the suite,
	// and on a loaded 2-core machine a tab's whole test can take over a minute.
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a browser tab: %v", err)
	}
	return ctx
}

// BrowserLogin signs the browser in through the login form as a demo user.
func (a *App) BrowserLogin(t testing.TB, ctx context.Context, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/auth/login/"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign In"]`)),
		chromedp.WaitVisible(chromedp.CSS("nav.sidebar")),
	)
	if err != nil {
		t.Fatalf("browser login as %s: %v", email, err)
	}
}

// Screenshot saves a full-page PNG (quality 100 means PNG), for looking at a screen while developing a test.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
