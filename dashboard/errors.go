package dashboard

import (
	"net/http"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// errorPage is how the dashboard shows one error code: the status it
// answers with and the page's title.
type errorPage struct {
	status int
	title  string
}

// errorPages is the dashboard's one table from error code to status and
// page, as api/error.go is the API's. A code not in it is shown as
// CodeInternal.
var errorPages = map[string]errorPage{
	keygate.CodeInvalidField:        {http.StatusBadRequest, "Check what you entered"},
	keygate.CodeBadRequest:          {http.StatusBadRequest, "That request could not be read"},
	keygate.CodeNotFound:            {http.StatusNotFound, "Not found"},
	keygate.CodeConflict:            {http.StatusConflict, "That can't be done now"},
	keygate.CodeForbidden:           {http.StatusForbidden, "Not allowed"},
	keygate.CodeCannotReactivate:    {http.StatusBadRequest, "This key can't be reactivated"},
	keygate.CodeCannotBeRotated:     {http.StatusBadRequest, "This key can't be rotated"},
	keygate.CodeTooManyRequests:     {http.StatusTooManyRequests, "Too many attempts"},
	keygate.CodeCannotReplay:        {http.StatusBadRequest, "This delivery can't be replayed"},
	keygate.CodeReplayInvalidOrigin: {http.StatusBadRequest, "This delivery can't be replayed"},
	keygate.CodeInternal:            {http.StatusInternalServerError, "Something went wrong"},
}

// pageOf returns the status and page of err's code.
func pageOf(err error) (string, errorPage) {
	code := keygate.ErrorCode(err)
	p, ok := errorPages[code]
	if !ok {
		code, p = keygate.CodeInternal, errorPages[keygate.CodeInternal]
	}
	return code, p
}

// serveError is the one way the dashboard answers with an error: the code's
// status and an error page. Internal errors are logged with the request ID
// and shown as a generic page that quotes it; nothing of their cause is shown.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	code, p := pageOf(err)
	msg := message(err)
	if code == keygate.CodeInternal {
		id := wire.RequestID(r)
		s.cfg.Logger.ErrorContext(r.Context(), "dashboard: internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "Something went wrong on keygate's side. Try again in a moment; if it keeps happening, give your operator this request ID: " + id + "."
	}
	s.render(w, r, p.status, "error.html", page{Title: p.title, Error: msg, Data: errorLinks{SignIn: sessionOf(r) == nil, Home: sessionOf(r) != nil}})
}

// errorLinks are the ways on that an error page offers.
type errorLinks struct {
	SignIn bool // the sign-in page
	Home   bool // the API keys
}

// fail serves an error of code with a message written for the page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code, msg string) {
	s.serveError(w, r, keygate.Errorf(code, "%s", msg))
}

// renderForm re-renders a form page after err: field problems next to
// their fields, the rest at the top, with the code's status. Internal
// errors get the generic error page instead.
func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, name string, p page, err error) {
	code, ep := pageOf(err)
	if code == keygate.CodeInternal {
		s.serveError(w, r, err)
		return
	}
	p.Error = keygate.ErrorMessage(err)
	for _, f := range keygate.ErrorFields(err) {
		if p.Fields == nil {
			p.Fields = map[string]string{}
		}
		field := formField(f.Field)
		p.Fields[field] = sentence(f.Message)
		p.Error = "Check the fields marked below: nothing was saved."
	}
	s.render(w, r, ep.status, name, p)
}

// formField is the form's name of a field the domain names as on the wire.
func formField(wireName string) string {
	switch wireName {
	case "expires_at":
		return "expires_on"
	case "user.email":
		return "email"
	case "user.password":
		return "password"
	case "subscribed_events":
		return "events"
	}
	return wireName
}

// message is an error's safe message with its field problems.
func message(err error) string {
	msg := keygate.ErrorMessage(err)
	for _, f := range keygate.ErrorFields(err) {
		msg += " " + strings.ReplaceAll(f.Field, "_", " ") + ": " + f.Message + "."
	}
	return msg
}

// sentence capitalises msg and ends it with a period.
func sentence(msg string) string {
	if msg == "" {
		return ""
	}
	return strings.ToUpper(msg[:1]) + strings.TrimSuffix(msg[1:], ".") + "."
}
