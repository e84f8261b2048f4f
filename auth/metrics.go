package auth

import (
	"sync/atomic"
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
	resultLimited // over a key's rate limit or out of its credits
	resultCount
)

// resultNames are the values of the metric's "result" label: ok or the error
// code.
var resultNames = [resultCount]string{"ok", "authentication_missing", "authentication_malformed", "invalid_token", "forbidden", "error", "limited"}

// Metrics are the verifier's Prometheus metrics: authentications by result
// and cache lookups by outcome. Register them with Collectors.
//
// The counts are plain atomic counters, read when the metrics are
// collected. A cache hit that authenticates (the hot path) adds to one
// counter, hitOK, which counts as both a hit and an ok result: one atomic
// add per request rather than two.
type Metrics struct {
	results [resultCount]atomic.Uint64
	// hits, negativeHits and misses are cache lookups by outcome.
	hits, negativeHits, misses atomic.Uint64
	hitOK                      atomic.Uint64
	resultsDesc, lookupsDesc   *prometheus.Desc
	// propagation is the delay from a change's commit (its time in the
	// change feed) to this node applying it from the feed.
	propagation prometheus.Histogram
	feedErrors  prometheus.Counter
}

func newMetrics() *Metrics {
	return &Metrics{
		resultsDesc: prometheus.NewDesc("keygate_auth_results_total", "Authentications by result (ok or the error code).", []string{"result"}, nil),
		lookupsDesc: prometheus.NewDesc("keygate_auth_cache_lookups_total",
			"Credential cache lookups by outcome: hit, negative_hit (known absent) or miss (read from the store).", []string{"outcome"}, nil),
		feedErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keygate_auth_change_feed_errors_total", Help: "Failed reads of the change feed (each poll of a database outage counts).",
		}),
		propagation: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "keygate_auth_change_propagation_seconds",
			Help:    "Delay from a credential change's commit, on any node, to this node applying it from the change feed (clocks of the nodes assumed in sync).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
}

// counters is the collector of the results and lookups.
type counters struct{ m *Metrics }

// Describe implements prometheus.Collector.
func (c counters) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.m.resultsDesc
	ch <- c.m.lookupsDesc
}

// Collect implements prometheus.Collector.
func (c counters) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	hitOK := m.hitOK.Load()
	for r, name := range resultNames {
		n := m.results[r].Load()
		if r == resultOK {
			n += hitOK
		}
		ch <- prometheus.MustNewConstMetric(m.resultsDesc, prometheus.CounterValue, float64(n), name)
	}
	ch <- prometheus.MustNewConstMetric(m.lookupsDesc, prometheus.CounterValue, float64(m.hits.Load()+hitOK), "hit")
	ch <- prometheus.MustNewConstMetric(m.lookupsDesc, prometheus.CounterValue, float64(m.negativeHits.Load()), "negative_hit")
	ch <- prometheus.MustNewConstMetric(m.lookupsDesc, prometheus.CounterValue, float64(m.misses.Load()), "miss")
}

// Collectors returns the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{counters{m}, m.propagation, m.feedErrors}
}

// propagated records that a change made at changedAt was applied at now.
func (m *Metrics) propagated(changedAt, now time.Time) {
	m.propagation.Observe(max(now.Sub(changedAt), 0).Seconds())
}

func (m *Metrics) result(r int) { m.results[r].Add(1) }

// hit counts a cache hit whose result is counted apart.
func (m *Metrics) hit() { m.hits.Add(1) }

func (m *Metrics) cache(found bool) {
	if found {
		m.hits.Add(1)
	} else {
		m.negativeHits.Add(1)
	}
}

func (m *Metrics) miss() { m.misses.Add(1) }
