// SPDX-License-Identifier: Apache-2.0

// go-dial: N TCP dials to ADDR from four goroutines while SPIN others
// burn CPU, so that Go's runtime preempts them with SIGURG every 10 ms
// throughout.  What test-signals.sh runs under the agent: no dial may
// fail, and the agent must get as many notifications as with SPIN 0 (no
// call trapped twice: no EINTR loop).
//
//	go-dial ADDR N SPIN
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go-dial ADDR N SPIN")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	spin, err2 := strconv.Atoi(os.Args[3])
	if err != nil || n < 4 || err2 != nil || spin < 0 {
		fmt.Fprintln(os.Stderr, "go-dial: N must be a number >= 4, SPIN >= 0")
		os.Exit(2)
	}
	var stop atomic.Bool
	var spins atomic.Int64
	for i := 0; i < spin; i++ {
		go func() {
			for x := 0; !stop.Load(); x++ {
				if x%1000000 == 0 {
					spins.Add(1)
				}
			}
		}()
	}
	var failed atomic.Int32
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/4; i++ {
				c, err := net.DialTimeout("tcp", os.Args[1], 10*time.Second)
				if err != nil {
					if failed.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "dial:", err)
					}
					continue
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	if failed.Load() > 0 {
		fmt.Printf("FAIL %d of %d dials failed\n", failed.Load(), n/4*4)
		os.Exit(1)
	}
	fmt.Printf("OK %d dials in %.2f s beside busy goroutines (%d Mspins)\n",
		n/4*4, time.Since(t0).Seconds(), spins.Load())
}
