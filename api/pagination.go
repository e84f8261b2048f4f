package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// parsePage reads after, per_page, order_by and the Skip-Count header. It
// asks the store for one row more than the page, to know whether another
// page follows (see finishPage).
func parsePage(r *http.Request) (keygate.Page, error) {
	q := r.URL.Query()
	p := keygate.Page{After: q.Get("after"), Limit: keygate.DefaultPageSize}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fieldError("per_page", "must be a whole number of at least 1")
		}
		p.Limit = min(n, keygate.MaxPageSize) // more than the maximum is the maximum, as Paddle does
	}
	switch q.Get("order_by") {
	case "", "id[ASC]":
	case "id[DESC]":
		p.Desc = true
	default:
		return p, fieldError("order_by", "must be id[ASC] or id[DESC]")
	}
	p.SkipCount = strings.EqualFold(r.Header.Get("Skip-Count"), "true")
	p.Limit++
	return p, nil
}

// finishPage trims the extra row parsePage asked for and returns the page's
// length and its pagination. next is the request's URL under the public
// base URL with after set to the page's last ID.
func (s *Server) finishPage(r *http.Request, p keygate.Page, n int, lastID func(i int) string, total int) (int, *wire.Pagination) {
	perPage := p.Limit - 1
	more := n > perPage
	if more {
		n = perPage
	}
	q := r.URL.Query()
	if n > 0 {
		q.Set("after", lastID(n-1))
	}
	next := s.cfg.BaseURL + r.URL.Path
	if enc := q.Encode(); enc != "" {
		next += "?" + enc
	}
	return n, &wire.Pagination{PerPage: perPage, Next: next, HasMore: more, EstimatedTotal: total}
}

// commaList splits a comma-separated query parameter.
func commaList(q url.Values, name string) []string {
	var out []string
	for _, v := range strings.Split(q.Get(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
