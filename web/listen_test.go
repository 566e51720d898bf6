package web

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestListenTakenAddress: a taken port is an error of Listen, before any
// server runs, naming the address and what to do; nothing stays bound.
func TestListenTakenAddress(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free := freeAddr(t)
	_, err = Listen([]string{free, taken.Addr().String()}, nil)
	if err == nil {
		t.Fatal("Listen on a taken address succeeded")
	}
	for _, want := range []string{"cannot listen on " + taken.Addr().String(), "address already in use", "ss -ltnp", "--web.listen-address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Count(err.Error(), taken.Addr().String()) != 1 {
		t.Errorf("error %q repeats the address", err)
	}
	// The free address bound first was released.
	l, err := net.Listen("tcp", free)
	if err != nil {
		t.Errorf("%s still bound after the failed Listen: %v", free, err)
	} else {
		l.Close()
	}
}

// TestListenersHandOver: a server stops, the next one serves on the same
// sockets (Listen reuses prev's socket for the same address) and a
// request in between is not refused; a socket is closed once neither
// shares it.
func TestListenersHandOver(t *testing.T) {
	a, b := freeAddr(t), freeAddr(t)
	first, err := Listen([]string{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(ls *Listeners, value float64) (stop func()) {
		reg := prometheus.NewRegistry()
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_test_generation", Help: "Which server answers."})
		g.Set(value)
		reg.MustRegister(g)
		s, err := New(Options{Gatherer: reg, Listeners: ls})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		return func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return within 10 s of cancel")
			}
		}
	}
	stop := serve(first, 1)
	if _, body := get(t, "http://"+a+"/metrics", "", ""); !strings.Contains(body, "vigie_test_generation 1") {
		t.Fatalf("first server: %s", body)
	}
	stop()
	// Between the two servers the socket stays bound: a connection is
	// queued by the kernel, not refused.
	c, err := net.DialTimeout("tcp", a, 5*time.Second)
	if err != nil {
		t.Fatalf("dial between the two servers: %v", err)
	}
	c.Close()
	c2 := freeAddr(t)
	second, err := Listen([]string{a, c2}, first)
	if err != nil {
		t.Fatalf("Listen reusing the first server's socket: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	defer second.Close() // after the server stopped: deferred calls run last first
	stop = serve(second, 2)
	defer stop()
	if _, body := get(t, "http://"+a+"/metrics", "", ""); !strings.Contains(body, "vigie_test_generation 2") {
		t.Fatalf("second server on the handed-over socket: %s", body)
	}
	if _, body := get(t, "http://"+c2+"/metrics", "", ""); !strings.Contains(body, "vigie_test_generation 2") {
		t.Fatalf("second server on its new socket: %s", body)
	}
	// b was not handed over: closed.
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + b + "/metrics"); err == nil {
		t.Errorf("%s still served after the first Listeners closed", b)
	}
}
