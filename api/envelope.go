package api

import (
	"net/http"

	"github.com/keygate/keygate/wire"
)

// dataEnvelope is Paddle's success body.
type dataEnvelope struct {
	Data any       `json:"data"`
	Meta wire.Meta `json:"meta"`
}

// writeData writes {"data": data, "meta": {...}} with status.
func (s *Server) writeData(w http.ResponseWriter, r *http.Request, status int, data any) {
	wire.WriteJSON(w, status, dataEnvelope{Data: data, Meta: wire.Meta{RequestID: requestID(r)}})
}

// writeList writes a page of a list with its pagination.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, data any, p *wire.Pagination) {
	wire.WriteJSON(w, http.StatusOK, dataEnvelope{Data: data, Meta: wire.Meta{RequestID: requestID(r), Pagination: p}})
}

// RequestIDHeader is the response header that carries meta.request_id.
const RequestIDHeader = wire.RequestIDHeader

// requestID returns the request's ID.
func requestID(r *http.Request) string { return wire.RequestID(r) }
