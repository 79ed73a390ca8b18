package console_test

import (
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axe-core (the npm package, which .ci/run installs into a temp folder and
// names in AXE_CORE_JS) checks each page the flows screenshot: no
// violation of impact "serious" or "critical". Without it the check is
// skipped, except in CI, where it fails.

var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv("AXE_CORE_JS")
	if path == "" {
		return "", os.ErrNotExist
	}
	b, err := os.ReadFile(path)
	return string(b), err
})

// axeViolations runs axe-core on the page and returns its serious and
// critical violations, one line each.
const axeViolations = `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
	r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.impact + " " + v.id + ": " + v.help + " — " + v.nodes.map(n => n.target.join(" ")).join(", "))))`

// checkAccessibility fails the test on a serious or critical violation
// axe-core finds on the page.
func (tb *tab) checkAccessibility(name string) {
	tb.t.Helper()
	src, err := axeSource()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.t.Errorf("axe-core is missing (AXE_CORE_JS: %v): .ci/run installs it", err)
		}
		return
	}
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
		tb.t.Errorf("axe on %s: inject: %v", name, err)
		return
	}
	raw, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](axeViolations, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Errorf("axe on %s: %v", name, err)
		return
	}
	var violations []string
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		tb.t.Errorf("axe on %s: %v", name, err)
		return
	}
	for _, v := range violations {
		tb.t.Errorf("accessibility of %s: %s", name, v)
	}
}

// flowEveryPageIsAccessible visits the pages no other flow
// screenshots, for axe-core.
func flowEveryPageIsAccessible(t *testing.T, tb *tab) {
	s := tb.stack
	id := s.person(t, "Hélène", "Dupré")
	tb.visit("/console/sign-in")
	tb.checkAccessibility("sign-in")
	tb.signIn(s.admin)
	for _, path := range []string{"/console/", "/console/archived", "/console/contacts/" + id + "?tab=asof&at=2030-01-01T00:00",
		"/console/imports", "/console/keys", "/console/fields"} {
		tb.visit(path)
		tb.checkAccessibility(path)
	}
}
