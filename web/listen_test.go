package web

import (
	"context"
	"fmt"
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
		return serveOn(t, ls, reg)
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

// TestHandOverAnswersEveryRequest swaps servers on one socket, as a reload
// does, while a client keeps asking on new connections. Every request must
// be answered: http.Server.Shutdown alone dropped, unanswered, a request
// read after the shutdown began (EOF for the client, about once every two
// swaps here).
func TestHandOverAnswersEveryRequest(t *testing.T) {
	a := freeAddr(t)
	ls, err := Listen([]string{a}, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func(ls *Listeners) (stop func()) { return serveOn(t, ls, prometheus.NewRegistry()) }
	stop := run(ls)
	var asked, failed int
	var firstErr error
	quit, asking := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(asking)
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for n := 0; n < 100_000; n++ { // bounded; stopped after the swaps
			select {
			case <-quit:
				return
			default:
			}
			asked++
			resp, err := c.Get("http://" + a + "/-/healthy")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %s", resp.Status)
				}
			}
			if err != nil {
				if failed++; firstErr == nil {
					firstErr = err
				}
			}
		}
	}()
	const swaps = 30
	for i := 0; i < swaps; i++ {
		time.Sleep(20 * time.Millisecond)
		stop()
		next, err := Listen([]string{a}, ls)
		if err != nil {
			t.Fatal(err)
		}
		if err := ls.Close(); err != nil {
			t.Fatal(err)
		}
		ls = next
		stop = run(ls)
	}
	time.Sleep(20 * time.Millisecond)
	close(quit)
	<-asking
	stop()
	_ = ls.Close()
	t.Logf("%d requests over %d swaps, %d failed", asked, swaps, failed)
	if asked < swaps {
		t.Fatalf("only %d requests over %d swaps: the client did not run", asked, swaps)
	}
	if failed > 0 {
		t.Errorf("%d of %d requests failed while servers swapped on one socket, first: %v", failed, asked, firstErr)
	}
}

// serveOn runs a Server on ls exposing reg; stop cancels it and waits for
// Run to return (10 s at most).
func serveOn(t *testing.T, ls *Listeners, reg *prometheus.Registry) (stop func()) {
	t.Helper()
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
