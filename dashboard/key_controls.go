package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/keygate/keygate"
)

// controlsForm is the part of the key forms for a key's controls, as
// typed: an empty field is no control.
type controlsForm struct {
	AllowedIPs                   string // one CIDR or address per line (commas work too)
	RateRequests, RatePer        string
	Credits                      string
	RefillAmount, RefillInterval string
}

// controlsFormOf returns the form of k's controls.
func controlsFormOf(k *keygate.APIKey) controlsForm {
	var f controlsForm
	ips := make([]string, len(k.AllowedIPs))
	for i, p := range k.AllowedIPs {
		ips[i] = p.String()
	}
	f.AllowedIPs = strings.Join(ips, "\n")
	if r := k.RateLimit; r != nil {
		f.RateRequests, f.RatePer = strconv.FormatInt(r.Requests, 10), string(r.Per)
	}
	if c := k.Credits; c != nil {
		f.Credits = strconv.FormatInt(c.Remaining, 10)
		if c.Refill != nil {
			f.RefillAmount, f.RefillInterval = strconv.FormatInt(c.Refill.Amount, 10), string(c.Refill.Interval)
		}
	}
	return f
}

// formControls reads the controls of a posted key form.
func formControls(r *http.Request) controlsForm {
	f := controlsForm{
		AllowedIPs: r.PostFormValue("allowed_ips"), RateRequests: strings.TrimSpace(r.PostFormValue("rate_requests")),
		RatePer: r.PostFormValue("rate_per"), Credits: strings.TrimSpace(r.PostFormValue("credits")),
		RefillAmount: strings.TrimSpace(r.PostFormValue("refill_amount")), RefillInterval: r.PostFormValue("refill_interval"),
	}
	if f.RateRequests == "" {
		f.RatePer = ""
	}
	if f.RefillAmount == "" {
		f.RefillInterval = "" // the select always posts one
	}
	return f
}

// update returns the change of controls the form makes to k (nil for a
// new key): every field replaces the key's, but credits are set anew only
// when they differ from the key's, so that saving a form unchanged does
// not reset a balance. Numbers that are not numbers are field errors.
func (f controlsForm) update(k *keygate.APIKey) (keygate.APIKeyUpdate, error) {
	var u keygate.APIKeyUpdate
	var problems []keygate.FieldError
	number := func(field, s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			problems = append(problems, keygate.FieldError{Field: field, Message: fmt.Sprintf("must be a whole number, not %q", s)})
		}
		return n
	}
	ips := strings.FieldsFunc(f.AllowedIPs, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' })
	u.AllowedIPs = &ips
	var rate *keygate.RateLimit
	if f.RateRequests != "" {
		rate = &keygate.RateLimit{Requests: number("rate_limit", f.RateRequests), Per: keygate.RatePeriod(f.RatePer)}
	}
	u.RateLimit = &rate
	var credits *keygate.CreditsSet
	if f.Credits != "" {
		credits = &keygate.CreditsSet{Remaining: number("credits", f.Credits)}
		if f.RefillAmount != "" {
			credits.Refill = &keygate.CreditRefill{Amount: number("credits", f.RefillAmount), Interval: keygate.RefillInterval(f.RefillInterval)}
		}
	}
	setCredits := k == nil
	if k != nil {
		cur := controlsFormOf(k)
		setCredits = f.Credits != cur.Credits || f.RefillAmount != cur.RefillAmount || f.RefillInterval != cur.RefillInterval
	}
	if setCredits {
		u.Credits = &credits
	}
	if len(problems) > 0 {
		return u, &keygate.Error{Code: keygate.CodeInvalidField, Message: "Check the key's limits.", Fields: problems}
	}
	return u, nil
}

// create returns the form's controls for a new key.
func (f controlsForm) create(in *keygate.APIKeyCreate) error {
	u, err := f.update(nil)
	in.AllowedIPs, in.RateLimit, in.Credits = *u.AllowedIPs, *u.RateLimit, *u.Credits
	return err
}
