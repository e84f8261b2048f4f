// Package secretscan speaks the protocols by which code hosts report leaked
// credentials to their issuer: GitHub's secret-scanning partner program
// (signed JSON reports, answered with feedback) and GitLab's token
// revocation API. It verifies and decodes reports; package app decides
// what a leaked key means, and package api serves the endpoints.
//
// It also finds keygate keys in text offline, by their shape and check
// digits, for keygate scan.
package secretscan
