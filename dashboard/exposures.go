package dashboard

import (
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// exposureRow is an exposure as the dashboard lists it.
type exposureRow struct {
	*keygate.APIKeyExposure
	// Link is the reference when it is a web address, to be linked.
	Link string
}

// exposureRows prepares exposures for their table.
func exposureRows(list []*keygate.APIKeyExposure) []exposureRow {
	rows := make([]exposureRow, len(list))
	for i, x := range list {
		rows[i] = exposureRow{APIKeyExposure: x}
		if isWebLink(x.Reference) {
			rows[i].Link = x.Reference
		}
	}
	return rows
}

// isWebLink reports whether ref is an https or http address, safe to link.
func isWebLink(ref string) bool {
	return len(ref) > 8 && (ref[:8] == "https://" || ref[:7] == "http://")
}

// handleKeyExposures shows a key's exposures (Paddle's "View exposures":
// risk level, detection date, source, reference, action taken) and marks
// them seen, which clears the API keys tab's banner.
func (s *Server) handleKeyExposures(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	list, err := s.svc.SeeAPIKeyExposures(r.Context(), scope(r), k.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	now := s.cfg.Now()
	s.render(w, r, http.StatusOK, "key_exposures.html", page{Title: "Exposures of " + k.Name, Data: map[string]any{
		"Key": k, "Obfuscated": wire.NewAPIKey(k, now).Key, "Exposures": exposureRows(list),
	}})
}

// loadKeyExposures is the key page's exposures section: the latest ones,
// without marking them seen (the section links to the full list).
func loadKeyExposures(s *Server, r *http.Request, k *keygate.APIKey) (any, error) {
	list, _, err := s.svc.ListAPIKeyExposures(r.Context(), scope(r), keygate.APIKeyExposureFilter{APIKeyID: k.ID,
		Page: keygate.Page{Limit: 10, Desc: true, SkipCount: true}})
	return map[string]any{"Key": k, "Exposures": exposureRows(list)}, err
}

// exposedKeys returns the keys (of keys) with a high-risk exposure no one
// has viewed, for the API keys tab's banner.
func (s *Server) exposedKeys(r *http.Request, keys []*keygate.APIKey) ([]*keygate.APIKey, error) {
	ids, err := s.svc.UnseenHighRiskKeys(r.Context(), scope(r))
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	byID := map[string]*keygate.APIKey{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	var out []*keygate.APIKey
	for _, id := range ids {
		if k := byID[id]; k != nil {
			out = append(out, k)
		}
	}
	return out, nil
}
