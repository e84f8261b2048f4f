// Package keygate is the domain of keygate, a self-hostable credential and
// authentication server that speaks Paddle Billing's wire format.
//
// It holds the types (Account, User, APIKey, Event), the rules that govern
// them (what a valid key is, when a key may be reactivated, when it is
// expired), the permission set, the error type with Paddle's error codes, and
// the Store interface that the storage adapters (sqlite, postgres)
// implement. It imports only the standard library and does no I/O; every
// rule takes the current time as an argument so that it can be tested with a
// controlled clock.
package keygate
