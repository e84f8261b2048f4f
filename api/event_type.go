package api

import (
	"net/http"

	"github.com/keygate/keygate"
)

// handleEventTypes lists every event type keygate emits. It needs no
// permission, so any valid key can use it to test its authentication.
func (s *Server) handleEventTypes(w http.ResponseWriter, r *http.Request) error {
	type eventType struct {
		Name              string `json:"name"`
		Description       string `json:"description"`
		Group             string `json:"group"`
		AvailableVersions []int  `json:"available_versions"`
		// Keygate marks keygate's own types (an extension; absent on
		// Paddle's).
		Keygate bool `json:"keygate,omitempty"`
	}
	out := make([]eventType, len(keygate.EventTypes))
	for i, e := range keygate.EventTypes {
		out[i] = eventType{Name: string(e.Name), Description: e.Description, Group: e.Group, AvailableVersions: e.AvailableVersions, Keygate: e.Keygate}
	}
	s.writeData(w, r, http.StatusOK, out)
	return nil
}
