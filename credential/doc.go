// Package credential generates, parses and checks the textual forms of every
// credential keygate issues: standard API keys, imported legacy keys,
// client-side tokens, partner keys, magic-session codes, notification-setting
// secrets and entity IDs.
//
// The package is pure: it does no I/O besides reading crypto/rand, keeps no
// state, and never panics on any input. Parsing slices its input and does not
// allocate, so it can sit on the hot path of every authenticated request.
//
// A standard API key looks like
//
//	pdl_live_apikey_01gtgztp8f4kek3yd4g1wrksa3_q6TGTJyvoIz7LDtXT65bX7_AQO
//	|   |    |      |                          |                      |
//	|   |    |      id (26, lower-case ULID)   secret (22, base62)    check (3)
//	|   |    kind
//	|   environment (live or sdbx)
//	marker
//
// The check is CRC-32 (IEEE) of every byte before the last underscore,
// modulo 62³, in base62 with the alphabet 0-9A-Za-z, left-padded with '0'.
// A scanner can validate a key offline, and the verifier rejects a mistyped
// or forged key before any lookup.
package credential
