// Package sqlstore implements keygate.Store once, over database/sql, for
// every SQL engine keygate supports.
//
// An engine's package (sqlite, postgres) supplies a Dialect: its named
// queries and migrations as embedded .sql files, and how to recognise its
// unique-violation errors. Everything else (transactions, scanning, error
// translation, pagination, migration bookkeeping) lives here, so business
// logic and row handling are written once and the engines differ only in
// SQL. The storetest conformance suite holds both to the same behaviour.
//
// # Query files
//
// A query file holds named queries in sqlc's notation:
//
//	-- name: FindAPIKeyByID
//	SELECT … FROM api_keys WHERE id = ?1;
//
// Both dialects must define every name in RequiredQueries with the same
// arguments in the same order and the same result columns. A query that
// contains {{cmp}} and {{dir}} is a list query: it is expanded into
// NameAsc (cmp ">", dir "ASC") and NameDesc (cmp "<", dir "DESC"), so that
// keyset pagination works in both directions from one text.
package sqlstore
