// Command goruntime exercises the Go runtime inside Gophene: goroutines
// over channels, timers, the garbage collector, asynchronous preemption of
// a loop with no calls, and os/signal. It prints only deterministic
// results.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

func main() {
	// 100 goroutines over channels.
	ch := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i%7) * time.Millisecond)
			ch <- i * i
		}(i)
	}
	go func() { wg.Wait(); close(ch) }()
	sum := 0
	for v := range ch {
		sum += v
	}
	fmt.Println("sum of squares:", sum)

	// time.Sleep and runtime.GC in a loop, with garbage.
	var keep [][]byte
	for i := 0; i < 20; i++ {
		keep = append(keep, make([]byte, 1<<20))
		if len(keep) > 4 {
			keep = keep[1:]
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	fmt.Println("gc rounds done, live buffers:", len(keep))

	// A tight loop without function calls: only asynchronous preemption
	// (SIGURG sent with tgkill) lets the GC stop it.
	stop := make(chan bool)
	var spins uint64
	go func() {
		x := uint64(0)
		for i := uint64(0); i < 3e9; i++ {
			x += i
		}
		spins = x
		stop <- true
	}()
	time.Sleep(5 * time.Millisecond)
	start := time.Now()
	runtime.GC()
	fmt.Println("GC stopped the spinning goroutine:", time.Since(start) < 2*time.Second)
	<-stop
	fmt.Println("spin result nonzero:", spins != 0)

	// os/signal catching a SIGUSR1 the program sends itself.
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case s := <-c:
		fmt.Println("caught:", s)
	case <-time.After(5 * time.Second):
		fmt.Println("signal lost")
	}
	fmt.Println("GOMAXPROCS:", runtime.GOMAXPROCS(0) > 0)
}
