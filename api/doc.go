// Package api serves keygate's Paddle-compatible JSON API for one
// environment: Paddle's request authentication, envelope, errors and
// pagination, and the endpoints keygate implements (event types, API keys).
//
// Every route is listed in routes.go. Handlers return an error; one adapter
// renders it in Paddle's error envelope, through the only table that maps
// error codes to HTTP statuses (error.go).
//
// keygate's own extensions to Paddle's API are marked as such where they are
// registered: POST /api-keys and PATCH /api-keys/{id}, which Paddle keeps in
// its dashboard, guarded by keygate's api_key.write permission.
package api
