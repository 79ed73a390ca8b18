package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumFlags are the flags headless Chromium needs on these machines
// (docs: PITFALLS), besides a fresh user-data dir.
var chromiumFlags = []string{"headless", "no-sandbox", "disable-gpu", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync"}

// startBrowser starts the one Chromium the browser tests share, for as
// long as t runs. Without Chromium the tests skip, except in CI
// (CI=true), where they must never silently skip.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed (.ci/run installs it): %v", err)
		}
		t.Skipf("chromium is not installed: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900)}
	for _, f := range chromiumFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}

// tab is one test's page in the shared browser, with cookies of its own,
// on one stack.
type tab struct {
	t     *testing.T
	ctx   context.Context
	stack *stack
}

// tabTimeout bounds one test's browsing.
const tabTimeout = 45 * time.Second

// newTab opens a tab in a browser context of its own (cookies are per
// host, not per port: tests on other stacks must not share them).
func newTab(t *testing.T, browser context.Context, s *stack) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, tabTimeout)
	t.Cleanup(cancelTimeout)
	tb := &tab{t: t, ctx: ctx, stack: s}
	t.Cleanup(func() { tb.screenshot("last") })
	return tb
}

// do runs steps, failing the test on error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

// visit opens a console address (path from the server's root).
func (tb *tab) visit(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.stack.url + path))
}

// waitFor waits until the JavaScript expression is true.
func (tb *tab) waitFor(expr string) {
	tb.t.Helper()
	// A poll of our own: a page that navigates while the browser
	// evaluates fails the evaluation, which only means "not yet".
	var last error
	for tb.ctx.Err() == nil {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	tb.t.Fatalf("waiting for %s: %v (%v)", expr, tb.ctx.Err(), last)
}

// waitText waits until the element css holds text.
func (tb *tab) waitText(css, text string) {
	tb.t.Helper()
	tb.waitFor(fmt.Sprintf(`(document.querySelector(%q)||{}).innerText?.includes(%q)`, css, text))
}

// text is the visible text of the first element css matches.
func (tb *tab) text(css string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, css)))
	if err != nil {
		tb.t.Fatalf("read %s: %v", css, err)
	}
	return s
}

// count is how many elements css matches.
func (tb *tab) count(css string) int {
	tb.t.Helper()
	n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, css)))
	if err != nil {
		tb.t.Fatalf("count %s: %v", css, err)
	}
	return n
}

// click clicks the first element css matches.
func (tb *tab) click(css string) {
	tb.t.Helper()
	// A node found while the page was still settling can be gone by the
	// time it is clicked ("could not find node"): find it again.
	var err error
	for range 3 {
		if err = chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible)); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.t.Fatalf("click %s: %v", css, err)
}

// upload chooses file for the file input css, finding the input again
// when the page replaced it meanwhile ("could not find node").
func (tb *tab) upload(css, file string) {
	tb.t.Helper()
	var err error
	for range 3 {
		if err = chromedp.Do(tb.ctx, chromedp.WaitReady(chromedp.CSS(css)), chromedp.SetUploadFiles(chromedp.CSS(css), []string{file})); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.t.Fatalf("upload %s into %s: %v", file, css, err)
}

// fill types text into the input css, replacing its value.
func (tb *tab) fill(css, text string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(css)))
	tb.setValue(css, "")
	tb.do(chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible))
}

// signIn signs in with key from the sign-in page and waits for the
// contacts page.
func (tb *tab) signIn(key string) {
	tb.t.Helper()
	tb.visit("/")
	tb.waitFor(`location.pathname === "/console/sign-in"`)
	tb.fill("#key", key)
	tb.click("form.signin button[type=submit]")
	tb.waitFor(`location.pathname === "/console/" && document.querySelector("form#selection") !== null`)
}

// screenshot saves the whole page as name.png in the test's temp dir, and
// in $CONSOLE_SCREENSHOTS when set (to look at them after the run).
func (tb *tab) screenshot(name string) {
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := strings.ReplaceAll(tb.t.Name(), "/", "_") + "-" + name + ".png"
	dirs := []string{tb.t.TempDir()}
	if d := os.Getenv("CONSOLE_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			tb.t.Logf("screenshot %s: %v", name, err)
		}
	}
	if name != "last" {
		tb.checkAccessibility(name)
	}
}

// value is the value of the input css.
func (tb *tab) value(css string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).value||""`, css)))
	if err != nil {
		tb.t.Fatalf("read %s: %v", css, err)
	}
	return s
}

// setValue sets the value of the input or select css, as a change event
// would leave it.
func (tb *tab) setValue(css, value string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`(e => { e.value = %q; e.dispatchEvent(new Event("change", {bubbles: true})); return true })(document.querySelector(%q))`, value, css)))
	if err != nil {
		tb.t.Fatalf("set %s: %v", css, err)
	}
}
