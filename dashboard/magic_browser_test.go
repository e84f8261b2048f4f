package dashboard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserMagicLink follows a magic link from a partner's page on an
// allowed domain (localhost) in a real Chromium: it lands signed in on the
// onboarding page, and the same link opened again is refused.
func TestBrowserMagicLink(t *testing.T) {
	exe := chromium(t)
	shots := artifacts(t)
	b := setup(t)
	p, _, err := b.svc.CreatePartner(b.ctx, keygateSandboxPartner("localhost"))
	require.NoError(t, err)
	code := b.mintFor(t, p)
	link := fmt.Sprintf("%s/magic-sessions/login?code=%s&redirect=onboarding", b.srv.URL, code)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Platform</title><a id="billing" href="%s">Open billing</a>`, link)
	}))
	defer partner.Close()
	partnerURL := strings.Replace(partner.URL, "127.0.0.1", "localhost", 1)

	w := &walker{t: t, browser: newBrowser(t, exe), base: b.srv.URL, shots: shots}

	w.step("follow the magic link", chromedp.Navigate(partnerURL), chromedp.Click("#billing"), chromedp.WaitVisible(`//h1[text()="Your business"]`), ready())
	require.Equal(t, "Engines Ltd", value(w, "business name", chromedp.Value("#name")), "signed in to the seller's account")
	w.check("20-magic-onboarding")

	w.step("follow it again", chromedp.Navigate(partnerURL), chromedp.Click("#billing"), chromedp.WaitVisible(`p.error`))
	require.Contains(t, value(w, "refusal", chromedp.Text("p.error")), "not valid", "the same link opened a second time is refused")
}
