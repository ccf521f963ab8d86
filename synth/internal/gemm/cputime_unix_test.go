//go:build unix

package gemm

import "syscall"

// cpuSeconds is the process's user+system CPU time. Benchmarks divide FLOPs
// by it as well as by wall time because this machine is shared: wall-clock
// GFLOP/s falls whenever another process takes the core, GFLOP per CPU-second
// measures the kernel itself.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
