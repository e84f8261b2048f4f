package api

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the API's Prometheus metrics: request latency by environment,
// route pattern and status. Register them with Collectors.
type Metrics struct {
	duration *prometheus.HistogramVec
	// observers caches the histogram of each label set, so a request costs
	// a map load instead of building and hashing its labels.
	observers sync.Map // labels → prometheus.Observer
}

type labels struct {
	env, route string
	status     int
}

// NewMetrics returns the API's metrics, unregistered.
func NewMetrics() *Metrics {
	return &Metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "keygate_http_request_duration_seconds",
		Help:    "API request latency by environment, route pattern and status.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	}, []string{"environment", "route", "status"})}
}

// Collectors returns the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.duration}
}

func (m *Metrics) observe(env, route string, status int, d time.Duration) {
	if route == "" || route == "/" {
		route = "unmatched" // keeps the label's values few
	}
	key := labels{env, route, status}
	o, ok := m.observers.Load(key)
	if !ok {
		o, _ = m.observers.LoadOrStore(key, m.duration.WithLabelValues(env, route, strconv.Itoa(status)))
	}
	o.(prometheus.Observer).Observe(d.Seconds())
}
