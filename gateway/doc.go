// Package gateway puts keygate in front of an operator's API: every request
// to a route of the route map is authenticated (package auth), stripped of
// its Authorization header and of any identity headers the client sent, and
// proxied to the environment's upstream with the principal's identity in
// headers. A route not in the map is refused, never proxied.
//
// It also serves the verify endpoint, for services in other languages that
// authenticate tokens themselves.
package gateway
