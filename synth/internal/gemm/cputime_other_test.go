//go:build !unix

package gemm

// cpuSeconds is unavailable here; benchmarks then omit the per-CPU-second
// figure.
func cpuSeconds() float64 { return 0 }
