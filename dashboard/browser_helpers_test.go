package dashboard_test

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromium returns the browser to drive, or skips the test: Debian's
// chromium (KEYGATE_CHROMIUM overrides the path). With
// KEYGATE_REQUIRE_BROWSER=1, as in CI, a missing browser fails instead.
func chromium(t *testing.T) string {
	path := os.Getenv("KEYGATE_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("KEYGATE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("no browser at %s: install Debian's chromium", path)
		}
		t.Skipf("no browser at %s: install Debian's chromium (apt-get install chromium) to run the browser tests", path)
	}
	return path
}

// newBrowser starts a headless Chromium for t, closed when t ends, with
// the flags that keep it off the network (this machine has none) and a
// laptop's window. Each step bounds itself (walker.step); the browser's
// whole life is bounded generously, for a loaded machine.
func newBrowser(t *testing.T, exe string) context.Context {
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(1280, 900))...)
	browser, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser, in the browser's own context
	// (a derived one would close the browser when it ends): a deadline of
	// its own names this step if the browser never starts.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browser, chromedp.Navigate("about:blank")) }()
	select {
	case err := <-started:
		require.NoError(t, err, "step start browser")
	case <-time.After(60 * time.Second):
		t.Fatal("step start browser: timed out after 60s")
	}
	return browser
}

// artifacts is where screenshots go: KEYGATE_ARTIFACTS_DIR, or a
// directory under the system's temporary one.
func artifacts(t *testing.T) string {
	dir := os.Getenv("KEYGATE_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "keygate-screenshots")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

//go:embed testdata/axe.min.js
var axeSource string

// walker drives one browser through named steps, each with its own
// deadline, so that a hang fails naming its step instead of the test's.
type walker struct {
	t       *testing.T
	browser context.Context
	base    string
	shots   string
}

// stepTimeout bounds one step: a page load or a few clicks. It is
// generous, for a loaded 2-core machine.
const stepTimeout = 45 * time.Second

// step runs actions as the step name.
func (w *walker) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.browser, stepTimeout)
	defer cancel()
	require.NoError(w.t, chromedp.Do(ctx, actions...), "step %s", name)
}

// value runs a that reads something, as the step name.
func value[T any](w *walker, name string, a chromedp.Action[T]) T {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.browser, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(w.t, err, "step %s", name)
	return v
}

// ready waits until the page's script has run (it marks <html
// data-ready>), so a click is never sent before its handler exists: the
// cause of the old hang at the Copy step.
func ready() chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(`html[data-ready="1"] body`) }

// open navigates to path and waits for the page and its script.
func (w *walker) open(name, path string) {
	w.t.Helper()
	w.step(name, chromedp.Navigate(w.base+path), ready())
}

// widths are the viewports every page is checked and photographed at.
var widths = []int64{1280, 390}

// check checks the page at each width: nothing overflows the viewport,
// every action button shows, every field is labelled, axe finds nothing;
// and photographs it as name-<width>.png.
func (w *walker) check(name string) {
	w.t.Helper()
	for _, width := range widths {
		w.step(fmt.Sprintf("%s: %d px", name, width), chromedp.EmulateViewport(width, 900), ready())
		w.noOverflow(fmt.Sprintf("%s at %d px", name, width))
		w.axe(fmt.Sprintf("%s at %d px", name, width))
		png := value(w, "screenshot "+name, chromedp.FullScreenshot(100))
		require.NoError(w.t, os.WriteFile(filepath.Join(w.shots, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644))
	}
	w.step(name+": back to 1280 px", chromedp.EmulateViewport(1280, 900))
}

// overflowScript lists the elements that stick out of the viewport
// sideways (outside containers that scroll on purpose), and the action
// buttons and links that are not visible.
const overflowScript = `(() => {
  const W = document.documentElement.clientWidth, bad = [];
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : '');
  if (document.documentElement.scrollWidth > W + 1) bad.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + W);
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.visually-hidden, .skip, .scroll, details:not([open]) > ul')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > W + 1 || r.left < -1) bad.push(name(el) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + W);
  }
  for (const el of document.querySelectorAll('main button, main a.button, main summary, .menu[open] .menu-item')) {
    if (el.closest('.visually-hidden, details:not([open]) > ul')) continue;
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    if (r.width < 8 || r.height < 8 || s.visibility === 'hidden' || s.display === 'none') { bad.push(name(el) + ' "' + el.textContent.trim() + '" is not visible'); continue; }
    const x = Math.min(Math.max(r.left + r.width / 2, 0), W - 1), y = r.top + r.height / 2;
    if (y >= 0 && y < window.innerHeight) {
      const top = document.elementFromPoint(x, y);
      if (top && top !== el && !el.contains(top) && !top.contains(el)) bad.push(name(el) + ' "' + el.textContent.trim() + '" is covered by ' + name(top));
    }
  }
  return bad.slice(0, 8).join('\n');
})()`

// noOverflow fails when any element overflows the viewport or an action
// button is not visible.
func (w *walker) noOverflow(where string) {
	w.t.Helper()
	bad := value(w, "overflow check of "+where, chromedp.Evaluate[string](overflowScript))
	require.Empty(w.t, bad, "%s: elements off screen or hidden", where)
}

// axe runs axe-core's WCAG 2 A and AA rules on the page and fails on any
// violation: labels, contrast, names of controls, ARIA.
func (w *walker) axe(where string) {
	w.t.Helper()
	loaded := value(w, "load axe on "+where, chromedp.Evaluate[bool](`typeof axe !== 'undefined'`))
	if !loaded {
		// The page's CSP forbids injected scripts, but not the debugger's
		// evaluation of the library's source.
		w.step("inject axe on "+where, chromedp.Evaluate[chromedp.Void](axeSource))
	}
	found := value(w, "axe on "+where, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r =>
	  r.violations.map(v => v.id + ': ' + v.help + ' [' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ') + ']').join('\n'))`, chromedp.EvalAwaitPromise))
	require.Empty(w.t, strings.TrimSpace(found), "%s: accessibility violations", where)
}
