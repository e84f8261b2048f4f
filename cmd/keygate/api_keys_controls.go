package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/keygate/keygate"
)

// controlFlags are the flags of a key's controls, which api-keys create
// and update share.
type controlFlags struct {
	allowedIPs, rateLimit, credits, refill *string
}

// addControlFlags defines the control flags on c.
func addControlFlags(c *command) controlFlags {
	return controlFlags{
		allowedIPs: c.fs.String("allowed-ips", "", `comma-separated CIDRs or addresses the key may be used from (at most 100; "" on update: any)`),
		rateLimit:  c.fs.String("rate-limit", "", `requests per second, minute or hour: 5/s, 300/m, 1000/h ("none" on update: no limit)`),
		credits:    c.fs.String("credits", "", `uses the key has left, each request spending one ("none" on update: unlimited)`),
		refill:     c.fs.String("credits-refill", "", "with --credits, the balance set back to N daily or monthly: 1000/day, 50000/month"),
	}
}

// apply reads the flags given into u (create reads them into an update
// first, then moves them).
func (f controlFlags) apply(c *command, u *keygate.APIKeyUpdate) error {
	if c.set("allowed-ips") {
		ips := []string{}
		for _, s := range strings.Split(*f.allowedIPs, ",") {
			if s = strings.TrimSpace(s); s != "" {
				ips = append(ips, s)
			}
		}
		u.AllowedIPs = &ips
	}
	if c.set("rate-limit") {
		r, err := parseRateLimit(*f.rateLimit)
		if err != nil {
			return err
		}
		u.RateLimit = &r
	}
	if c.set("credits-refill") && !c.set("credits") {
		return usageError("--credits-refill needs --credits: the balance until the first refill")
	}
	if c.set("credits") {
		cs, err := parseCredits(*f.credits, *f.refill)
		if err != nil {
			return err
		}
		u.Credits = &cs
	}
	return nil
}

// create reads the flags given into in.
func (f controlFlags) create(c *command, in *keygate.APIKeyCreate) error {
	var u keygate.APIKeyUpdate
	if err := f.apply(c, &u); err != nil {
		return err
	}
	if u.AllowedIPs != nil {
		in.AllowedIPs = *u.AllowedIPs
	}
	if u.RateLimit != nil {
		in.RateLimit = *u.RateLimit
	}
	if u.Credits != nil {
		in.Credits = *u.Credits
	}
	return nil
}

// ratePeriods are the spellings of a rate limit's period.
var ratePeriods = map[string]keygate.RatePeriod{
	"s": keygate.PerSecond, "second": keygate.PerSecond, "m": keygate.PerMinute, "minute": keygate.PerMinute,
	"h": keygate.PerHour, "hour": keygate.PerHour,
}

// parseRateLimit parses N/s, N/m or N/h; "none" is no limit.
func parseRateLimit(s string) (*keygate.RateLimit, error) {
	if s == "none" {
		return nil, nil
	}
	n, per, ok := strings.Cut(s, "/")
	requests, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || ratePeriods[per] == "" {
		return nil, usageError(fmt.Sprintf("--rate-limit: %q is not requests per period, such as 5/s, 300/m or 1000/h", s))
	}
	return &keygate.RateLimit{Requests: requests, Per: ratePeriods[per]}, nil
}

// parseCredits parses a balance and its refill (N/day or N/month, or "");
// "none" is unlimited.
func parseCredits(s, refill string) (*keygate.CreditsSet, error) {
	if s == "none" {
		if refill != "" {
			return nil, usageError("--credits-refill can't go with --credits none")
		}
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, usageError(fmt.Sprintf("--credits: %q is not a number of uses", s))
	}
	cs := &keygate.CreditsSet{Remaining: n}
	if refill != "" {
		amount, interval, ok := strings.Cut(refill, "/")
		a, err := strconv.ParseInt(amount, 10, 64)
		if !ok || err != nil || (interval != "day" && interval != "month") {
			return nil, usageError(fmt.Sprintf("--credits-refill: %q is not an amount per day or month, such as 1000/day", refill))
		}
		cs.Refill = &keygate.CreditRefill{Amount: a, Interval: keygate.RefillInterval(interval)}
	}
	return cs, nil
}

// formatControls returns the lines printKey shows of a key's controls.
func formatControls(k *keygate.APIKey) []string {
	ips := "any"
	if len(k.AllowedIPs) > 0 {
		parts := make([]string, len(k.AllowedIPs))
		for i, p := range k.AllowedIPs {
			parts[i] = p.String()
		}
		ips = strings.Join(parts, ", ")
	}
	rate := "none"
	if r := k.RateLimit; r != nil {
		rate = fmt.Sprintf("%d per %s", r.Requests, r.Per)
	}
	credits := "unlimited"
	if c := k.Credits; c != nil {
		credits = fmt.Sprintf("%d left", c.Remaining)
		if c.Refill != nil {
			credits += fmt.Sprintf(", set to %d each %s (next %s)", c.Refill.Amount, c.Refill.Interval, c.NextRefill().Format("2006-01-02"))
		}
	}
	return []string{"Allowed IPs", ips, "Rate limit", rate, "Credits", credits}
}
