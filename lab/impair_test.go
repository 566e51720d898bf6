package lab

import (
	"encoding/binary"
	"errors"
	"net"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// icmpEcho sends n echo requests from node (address src) to dst as fast as
// it can and returns how many replies came back.
func icmpEcho(t *testing.T, l *Lab, node, src, dst string, n int) int {
	t.Helper()
	var c net.PacketConn
	if err := inNetns(NodeNetns(l.Topo.Name, node), func() error {
		var err error
		c, err = net.ListenPacket("ip4:icmp", src)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to := &net.IPAddr{IP: net.ParseIP(dst)}
	const id = 0x7167
	for seq := range n {
		m := make([]byte, 64)
		m[0] = 8 // echo request
		binary.BigEndian.PutUint16(m[4:], id)
		binary.BigEndian.PutUint16(m[6:], uint16(seq))
		var sum uint32
		for i := 0; i < len(m); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(m[i:]))
		}
		for sum>>16 != 0 {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(m[2:], ^uint16(sum))
		// The sender's own drop rule (nftables, without netem) answers
		// EPERM for the packets it drops: lost, as the loss means.
		if _, err := c.WriteTo(m, to); err != nil && !errors.Is(err, unix.EPERM) {
			t.Fatal(err)
		}
	}
	seen := map[uint16]bool{}
	buf := make([]byte, 1500)
	for len(seen) < n {
		// Replies stop coming: the rest were lost.
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, _, err := c.ReadFrom(buf)
		if err != nil {
			break
		}
		if k >= 8 && buf[0] == 0 && binary.BigEndian.Uint16(buf[4:]) == id {
			seen[binary.BigEndian.Uint16(buf[6:])] = true
		}
	}
	return len(seen)
}

// udpFlood sends n datagrams of size bytes from node a to b (address dst)
// as fast as it can and returns how many b received.
func udpFlood(t *testing.T, l *Lab, dst string, n, size int) int {
	t.Helper()
	var rc, sc net.PacketConn
	if err := inNetns(NodeNetns(l.Topo.Name, "b"), func() error {
		var err error
		rc, err = net.ListenPacket("udp4", dst+":9999")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := inNetns(NodeNetns(l.Topo.Name, "a"), func() error {
		var err error
		sc, err = net.ListenPacket("udp4", "0.0.0.0:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	to := &net.UDPAddr{IP: net.ParseIP(dst), Port: 9999}
	payload := make([]byte, size)
	for range n {
		// A full queue answers ENOBUFS: that datagram is dropped, as the
		// limit means.
		if _, err := sc.WriteTo(payload, to); err != nil && !errors.Is(err, errNoBufs) {
			t.Fatal(err)
		}
	}
	got := 0
	buf := make([]byte, 2048)
	for got < n {
		_ = rc.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := rc.ReadFrom(buf); err != nil {
			break
		}
		got++
	}
	return got
}

// TestImpairments brings up two bare nodes whose links declare 30 % loss
// and a 1,000 kbit/s rate. Where the kernel has no netem (this project's
// machines), the loss is an nftables rule and the rate a tbf qdisc. The
// loss link drops about half of a burst of pings (30 % each way: about
// 51 % lost, bounds very loose), the rate link carries every ping of a
// small burst but drops most of a 2.8 MB UDP flood that tbf's queue
// (about 54 KB) cannot hold.
func TestImpairments(t *testing.T) {
	requireLab(t)
	if !hasNetem() {
		if _, err := exec.LookPath("nft"); err != nil {
			needed(t, "no netem and no nft: install nftables (scripts/deps.sh)")
		}
	}
	l := upForTest(t, "testdata/kernel/impair.clab.yml", Options{StateRoot: t.TempDir(), ReadyTimeout: 10 * time.Second})
	for _, w := range l.Warnings {
		t.Errorf("warning: %s", w)
	}
	const n = 200
	if got := icmpEcho(t, l, "a", "192.0.2.5", "192.0.2.6", n); got != n {
		t.Errorf("%d of %d pings over the rate-limited link came back: a small burst fits its bucket and queue", got, n)
	}
	got := icmpEcho(t, l, "a", "192.0.2.1", "192.0.2.2", n)
	t.Logf("30%% loss each way: %d of %d pings came back (about 49%% expected)", got, n)
	if got < n*20/100 || got > n*80/100 {
		t.Errorf("%d of %d pings came back through 30%% loss each way: want 20-80%%", got, n)
	}
	recv := udpFlood(t, l, "192.0.2.6", 2000, 1400)
	t.Logf("1,000 kbit/s: %d of 2000 datagrams of 1,400 bytes received", recv)
	if recv == 0 || recv > 1000 {
		t.Errorf("%d of 2000 datagrams through 1,000 kbit/s: want some, and far from all", recv)
	}
}

var errNoBufs = unix.ENOBUFS
