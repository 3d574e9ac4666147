package asterisktest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
)

// rtpRangeSize is how many RTP/RTCP ports each instance gets: enough for
// 20 PJSIP call legs at once.
const rtpRangeSize = 40

var (
	portMu    sync.Mutex
	usedPorts = map[string]bool{} // "tcp/1234", "udp/1234" handed out in this process
	rtpRanges = map[int]bool{}    // start ports of RTP ranges handed out in this process
)

// pickPorts picks free loopback ports: tcpCount TCP ports and udpCount UDP
// ports, all distinct from each other and from the ports this process
// handed out before.
func pickPorts(tcpCount, udpCount int) (tcp, udp []int, err error) {
	portMu.Lock()
	defer portMu.Unlock()
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for len(tcp) < tcpCount {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("asterisktest: pick a TCP port: %w", err)
		}
		closers = append(closers, l)
		p := l.Addr().(*net.TCPAddr).Port
		if usedPorts["tcp/"+strconv.Itoa(p)] {
			continue
		}
		tcp = append(tcp, p)
	}
	for len(udp) < udpCount {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("asterisktest: pick a UDP port: %w", err)
		}
		closers = append(closers, c)
		p := c.LocalAddr().(*net.UDPAddr).Port
		if usedPorts["udp/"+strconv.Itoa(p)] {
			continue
		}
		udp = append(udp, p)
	}
	for _, p := range tcp {
		usedPorts["tcp/"+strconv.Itoa(p)] = true
	}
	for _, p := range udp {
		usedPorts["udp/"+strconv.Itoa(p)] = true
	}
	return tcp, udp, nil
}

// pickRTPRange picks an even start port in [20000, 30000) (below Linux's
// ephemeral range) whose rtpRangeSize UDP ports are free on 127.0.0.1 and
// were not handed out to another instance of this process.
func pickRTPRange() (start, end int, err error) {
	portMu.Lock()
	defer portMu.Unlock()
	for try := 0; try < 100; try++ {
		start = 20000 + 2*rand.IntN((10000-rtpRangeSize)/2)
		if overlapsRTP(start) {
			continue
		}
		if udpRangeFree(start, start+rtpRangeSize-1) {
			rtpRanges[start] = true
			return start, start + rtpRangeSize - 1, nil
		}
	}
	return 0, 0, fmt.Errorf("asterisktest: no free range of %d UDP ports for RTP", rtpRangeSize)
}

func overlapsRTP(start int) bool {
	for s := range rtpRanges {
		if start < s+rtpRangeSize && s < start+rtpRangeSize {
			return true
		}
	}
	return false
}

func udpRangeFree(first, last int) bool {
	for p := first; p <= last; p++ {
		c, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}
