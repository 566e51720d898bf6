package daemon

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReloadStatus is the outcome of the last configuration reload, exposed as
// Prometheus exposes its own (prometheus_config_last_reload_successful):
// 1 at start and after a reload that took effect, 0 after one refused
// (the previous configuration keeps running). It outlives the daemons it
// reports on: give Collectors to each (Options.ExtraCollectors).
type ReloadStatus struct {
	ok, at prometheus.Gauge
}

// NewReloadStatus returns the status of a configuration just loaded.
func NewReloadStatus() *ReloadStatus {
	r := &ReloadStatus{
		ok: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigie_config_last_reload_successful",
			Help: "1 if the last configuration load (start or SIGHUP) took effect, 0 if a reload was refused and the previous configuration keeps running.",
		}),
		at: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigie_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration running now was loaded (start or the last successful reload), Unix seconds.",
		}),
	}
	r.Set(true)
	return r
}

// Set records a reload: taken (true) or refused (false).
func (r *ReloadStatus) Set(ok bool) {
	if !ok {
		r.ok.Set(0)
		return
	}
	r.ok.Set(1)
	r.at.Set(float64(time.Now().UnixNano()) / 1e9)
}

// Collectors returns the two gauges, to register with each daemon.
func (r *ReloadStatus) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.ok, r.at}
}
