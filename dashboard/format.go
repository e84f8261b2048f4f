package dashboard

import (
	"fmt"
	"strconv"
	"time"
)

// duration is a span as people say it: "42 minutes", "1 hour", "3 days";
// under a minute is "less than a minute".
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < 90*time.Minute:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d < 60*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d < 2*365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month")
	}
	return plural(int(d/(365*24*time.Hour)), "year")
}

// plural is "1 minute" or "n minutes".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// relative is t seen from now: "3 minutes ago", "in 2 days", "just now".
func relative(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d > -time.Minute && d < time.Minute:
		return "just now"
	case d > 0:
		return duration(d) + " ago"
	}
	return "in " + duration(-d)
}

// exact is the time shown on hover: "2 Dec 2026, 14:05:09 UTC".
func exact(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04:05 UTC") }

// count writes n with a comma between thousands: "1,234".
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
