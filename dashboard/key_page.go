package dashboard

import (
	"fmt"
	"net/http"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// chartHours is how many hours of usage a key's page shows.
const chartHours = 48

// bar is one hour of the usage chart, laid out for the SVG.
type bar struct {
	X, Y, Height int
	Label        string
}

// usageChart lays out requests per hour for the last chartHours hours
// ending at now, in a 480 × 120 SVG.
func usageChart(usage []keygate.Usage, now time.Time) (bars []bar, peak int64, total int64) {
	start := now.Truncate(time.Hour).Add(-(chartHours - 1) * time.Hour)
	counts := make([]int64, chartHours)
	for _, u := range usage {
		if i := int(u.Hour.Sub(start) / time.Hour); i >= 0 && i < chartHours {
			counts[i] += u.Requests
		}
	}
	for _, c := range counts {
		peak, total = max(peak, c), total+c
	}
	for i, c := range counts {
		h := 0
		if peak > 0 {
			h = int(c * 110 / peak)
		}
		hour := start.Add(time.Duration(i) * time.Hour)
		bars = append(bars, bar{X: i * 10, Y: 120 - h, Height: h, Label: fmt.Sprintf("%s: %d requests", hour.Format("2 Jan 15:00 UTC"), c)})
	}
	return bars, peak, total
}

// handleKeyPage shows a key: its details, its events, and its requests per
// hour over the last two days.
func (s *Server) handleKeyPage(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	now := s.cfg.Now()
	events, _, err := s.svc.ListEvents(r.Context(), scope(r), keygate.EventFilter{EntityID: k.ID, Page: keygate.Page{Desc: true, Limit: 20, SkipCount: true}})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	usage, err := s.svc.APIKeyUsage(r.Context(), scope(r), k.ID, now.Add(-chartHours*time.Hour))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	bars, peak, total := usageChart(usage, now)
	s.render(w, r, http.StatusOK, "key.html", page{Title: k.Name, Data: map[string]any{
		"Key": k, "Obfuscated": wire.NewAPIKey(k, now).Key, "Label": k.Label(now), "Events": events,
		"Bars": bars, "Peak": peak, "Total": total,
	}})
}
