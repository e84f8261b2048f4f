package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// keySection is one section of a key's page: a template defined in a
// templates/part_*.html file, and what it shows.
type keySection struct {
	Template string
	Load     func(s *Server, r *http.Request, k *keygate.APIKey) (any, error)
}

// keySections are the sections of every key's page, in order, below its
// details. Adding a section is one line here and its template.
var keySections = []keySection{
	{Template: "key_rotation", Load: loadKeyRotation},
	{Template: "key_usage", Load: loadUsage},
	{Template: "key_exposures", Load: loadKeyExposures},
	{Template: "key_events", Load: loadKeyEvents},
}

// handleKeyPage shows a key: its details, then each of keySections.
func (s *Server) handleKeyPage(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	now := s.cfg.Now()
	var sections []template.HTML
	for _, sec := range keySections {
		data, err := sec.Load(s, r, k)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		var buf bytes.Buffer
		if err := pages()["key.html"].ExecuteTemplate(&buf, sec.Template, data); err != nil {
			s.serveError(w, r, fmt.Errorf("render %s: %w", sec.Template, err))
			return
		}
		sections = append(sections, template.HTML(buf.String())) // rendered by html/template, escaped there
	}
	row := s.keyRow(k, now)
	row.CSRF = sessionOf(r).CSRFToken
	s.render(w, r, http.StatusOK, "key.html", page{Title: k.Name, Notice: s.notice(r), Data: map[string]any{
		"Key": k, "Row": row, "Obfuscated": wire.NewAPIKey(k, now).Key, "Sections": sections,
	}})
}

// loadKeyEvents is the key's latest events.
func loadKeyEvents(s *Server, r *http.Request, k *keygate.APIKey) (any, error) {
	events, _, err := s.svc.ListEvents(r.Context(), scope(r), keygate.EventFilter{EntityID: k.ID, Page: keygate.Page{Desc: true, Limit: 20, SkipCount: true}})
	return events, err
}

// loadUsage is the key's usage chart over the range in ?range=.
func loadUsage(s *Server, r *http.Request, k *keygate.APIKey) (any, error) {
	rg := usageRangeOf(r.URL.Query().Get("range"))
	now := s.cfg.Now()
	usage, err := s.svc.APIKeyUsage(r.Context(), scope(r), k.ID, rg.start(now))
	if err != nil {
		return nil, err
	}
	c := newChart(usage, rg, now)
	c.KeyID = k.ID
	return c, nil
}
