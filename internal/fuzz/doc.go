// Package fuzz holds fuzz targets over keygate's request parsing that need
// no database, so that their instrumented test binary builds in seconds
// for CI's short fuzzing runs (.ci/run). It has no code of its own.
package fuzz
