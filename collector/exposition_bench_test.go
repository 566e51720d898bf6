package collector

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/vigie-rie/vigie/collector/snmp"
)

// filledTextCollector is filledCollector with the per-device series
// exposed as text.
func filledTextCollector(b *testing.B, n int) (*Collector, *prometheus.Registry) {
	inv := testInventory(n, time.Minute, anyAddr)
	reg := prometheus.NewRegistry()
	c, err := New(inv, Options{Sessions: 1}, nil, reg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.poller.Close() })
	if err := c.ExposeAsText(reg); err != nil {
		b.Fatal(err)
	}
	for _, d := range c.devices {
		d.state = snmp.NewDeviceState()
		c.record(d, benchPoll(d.name))
	}
	return c, reg
}

// scrapeText is what web's text handler does: the registry's families
// through expfmt, then the per-device text.
func scrapeText(b *testing.B, c *Collector, reg *prometheus.Registry, w io.Writer) {
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.WriteText(w); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkScrapeText is BenchmarkScrape (2,000 devices × 10 interfaces +
// 2 peers) through the text path; ns/series counts every series served.
//
//	flock /tmp/vigie-heavy.lock go test -run XXX -bench 'Scrape|Record|Render' -benchmem ./collector/
func BenchmarkScrapeText(b *testing.B) {
	c, reg := filledTextCollector(b, 2000)
	var buf bytes.Buffer
	scrapeText(b, c, reg, &buf)
	series := bytes.Count(buf.Bytes(), []byte("\n")) - 2*bytes.Count(buf.Bytes(), []byte("\n# TYPE "))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		scrapeText(b, c, reg, &buf)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(series), "ns/series")
	b.ReportMetric(float64(buf.Len()), "bytes")
}

// BenchmarkScrapeTextGzip adds gzip, what a Prometheus scrape
// (Accept-Encoding: gzip) costs, at web's level (BestSpeed) and at the
// default level for comparison.
func BenchmarkScrapeTextGzip(b *testing.B) {
	c, reg := filledTextCollector(b, 2000)
	for _, lv := range []struct {
		name  string
		level int
	}{{"BestSpeed", gzip.BestSpeed}, {"Default", gzip.DefaultCompression}} {
		b.Run(lv.name, func(b *testing.B) {
			var buf bytes.Buffer
			z, _ := gzip.NewWriterLevel(&buf, lv.level)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf.Reset()
				z.Reset(&buf)
				scrapeText(b, c, reg, z)
				_ = z.Close()
			}
			b.ReportMetric(float64(buf.Len()), "gzip-bytes")
		})
	}
}

// BenchmarkRender is BenchmarkRecord through the text path: the per-poll
// cost of rendering a device's series.
func BenchmarkRender(b *testing.B) {
	c, _ := filledTextCollector(b, 1)
	d := c.devices[0]
	p := benchPoll(d.name)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.record(d, p)
	}
}
