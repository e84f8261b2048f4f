package auth

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of an authentication; resultNames gives each its label.
const (
	resultOK = iota
	resultMissing
	resultMalformed
	resultInvalid
	resultForbidden
	resultError
	resultCount
)

// resultNames are the values of the metric's "result" label: ok or the error
// code.
var resultNames = [resultCount]string{"ok", "authentication_missing", "authentication_malformed", "invalid_token", "forbidden", "error"}

// Metrics are the verifier's Prometheus metrics: authentications by result
// and cache lookups by outcome. Register them with Collectors.
type Metrics struct {
	results *prometheus.CounterVec
	lookups *prometheus.CounterVec
	// propagation is the delay from a change's commit (its time in the
	// change feed) to this node applying it from the feed.
	propagation prometheus.Histogram
	feedErrors  prometheus.Counter
	// Children resolved once, so that counting costs one atomic add.
	byResult                 [resultCount]prometheus.Counter
	hit, negativeHit, missed prometheus.Counter
}

func newMetrics() *Metrics {
	m := &Metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keygate_auth_results_total", Help: "Authentications by result (ok or the error code).",
		}, []string{"result"}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keygate_auth_cache_lookups_total", Help: "Credential cache lookups by outcome: hit, negative_hit (known absent) or miss (read from the store).",
		}, []string{"outcome"}),
		feedErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keygate_auth_change_feed_errors_total", Help: "Failed reads of the change feed (each poll of a database outage counts).",
		}),
		propagation: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "keygate_auth_change_propagation_seconds",
			Help:    "Delay from a credential change's commit, on any node, to this node applying it from the change feed (clocks of the nodes assumed in sync).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	for r, name := range resultNames {
		m.byResult[r] = m.results.WithLabelValues(name)
	}
	m.hit, m.negativeHit, m.missed = m.lookups.WithLabelValues("hit"), m.lookups.WithLabelValues("negative_hit"), m.lookups.WithLabelValues("miss")
	return m
}

// Collectors returns the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.results, m.lookups, m.propagation, m.feedErrors}
}

// propagated records that a change made at changedAt was applied at now.
func (m *Metrics) propagated(changedAt, now time.Time) {
	m.propagation.Observe(max(now.Sub(changedAt), 0).Seconds())
}

func (m *Metrics) result(r int) { m.byResult[r].Inc() }

func (m *Metrics) cache(found bool) {
	if found {
		m.hit.Inc()
	} else {
		m.negativeHit.Inc()
	}
}

func (m *Metrics) miss() { m.missed.Inc() }
