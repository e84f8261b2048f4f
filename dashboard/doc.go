// Package dashboard serves keygate's dashboard for one environment:
// server-rendered pages (html/template, embedded assets, one small script
// for Copy buttons) where sellers sign in and manage their API keys under
// Developer tools > Authentication.
//
// Every page sends a Content-Security-Policy with no inline script and
// frame-ancestors 'none'; sessions are HttpOnly, SameSite=Lax cookies
// (Secure over HTTPS) whose token is stored only as a hash; every form that
// changes anything carries a CSRF token.
package dashboard
