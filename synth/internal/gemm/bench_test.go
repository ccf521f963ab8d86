package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are M×N×K of real layers, in both orientations the engine
// may use. Channels-first (C = W·col, M = Cout, N = pixels): SPADE γ/β
// convs at 256×256, a middle block, and the reference ADE20K model's head.
// Channels-last, as synth's renderer calls Sgemm (C = col·W, M = pixels of
// one tile, N = Cout): a 16- and a 32-channel conv tile at 256×256, a
// 256-channel tile, and a whole 256×256 image at once.
var benchShapes = [][3]int{
	{64, 65536, 288},
	{256, 256, 2304},
	{32, 16384, 576},
	{1024, 256, 9216},
	{113, 16, 288},
	{113, 32, 288},
	{14, 256, 2304},
	{65536, 16, 288},
}

// BenchmarkSgemm compares, in one run, the assembly kernel on 1 and 2
// threads, the portable kernel, and the naive loop. Compare GFLOP/s within a
// run only: the machine's load changes between runs.
func BenchmarkSgemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchShapes {
		m, n, k := s[0], s[1], s[2]
		a := randSlice(rng, m*k)
		bm := randSlice(rng, k*n)
		c := make([]float32, m*n)
		flops := 2 * float64(m) * float64(n) * float64(k)
		name := fmt.Sprintf("%dx%dx%d", m, n, k)
		for _, threads := range []int{1, 2} {
			if !useAsm {
				break
			}
			b.Run(fmt.Sprintf("%s/asm/threads=%d", name, threads), func(b *testing.B) {
				pool := NewPool(threads)
				defer pool.Close()
				pool.Sgemm(m, n, k, a, k, bm, n, c, n, false)
				b.ResetTimer()
				cpu0 := cpuSeconds()
				for range b.N {
					pool.Sgemm(m, n, k, a, k, bm, n, c, n, false)
				}
				report(b, flops, cpu0)
			})
		}
		b.Run(name+"/portable/threads=1", func(b *testing.B) {
			ws := new(workspace)
			cpu0 := cpuSeconds()
			for range b.N {
				gemmSerial(ws, false, m, n, k, a, k, bm, n, c, n, false)
			}
			report(b, flops, cpu0)
		})
		b.Run(name+"/naive/threads=1", func(b *testing.B) {
			cpu0 := cpuSeconds()
			for range b.N {
				sgemmRef(m, n, k, a, k, bm, n, c, n, false)
			}
			report(b, flops, cpu0)
		})
	}
}

// BenchmarkMicroKernel measures the 6×16 and 4×16 kernels alone on
// L1-resident operands: the ceiling that the blocked driver can approach.
func BenchmarkMicroKernel(b *testing.B) {
	const k = 256
	rng := rand.New(rand.NewPCG(2, 2))
	a := randSlice(rng, k*mr)
	bp := randSlice(rng, k*nr)
	c := make([]float32, mr*nr)
	for _, rows := range []int{mr, 4} {
		for _, asm := range []bool{true, false} {
			if asm && !useAsm {
				continue
			}
			flops := 2.0 * float64(rows) * nr * k
			b.Run(fmt.Sprintf("rows=%d/asm=%v", rows, asm), func(b *testing.B) {
				cpu0 := cpuSeconds()
				for range b.N {
					microKernel(asm, rows, k, a, 1, mr, bp, c, nr, true)
				}
				report(b, flops, cpu0)
			})
		}
	}
}

// report adds GFLOP/s of wall time and GFLOP per CPU-second (see cpuSeconds)
// for flops per iteration. With 2 threads the second is per core, so it
// shows efficiency while the first shows speed-up.
func report(b *testing.B, flops, cpu0 float64) {
	b.StopTimer() // keep ReportMetric's own allocations out of B/op
	total := flops * float64(b.N) / 1e9
	b.ReportMetric(total/b.Elapsed().Seconds(), "GFLOP/s")
	if cpu := cpuSeconds() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(total/cpu, "GFLOP/cpu-s")
	}
}

// BenchmarkSgemmPacked compares Sgemm with SgemmPacked (weights packed once,
// outside the loop) on the channels-last tiles that synth's renderer issues,
// one tile per call on one thread, the way its workers call it.
func BenchmarkSgemmPacked(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, s := range [][3]int{{113, 16, 288}, {113, 32, 288}, {56, 64, 576}, {14, 256, 2304}, {32, 256, 2304}} {
		m, n, k := s[0], s[1], s[2]
		a := randSlice(rng, m*k)
		w := randSlice(rng, k*n)
		c := make([]float32, m*n)
		pb := PackB(k, n, w, n)
		flops := 2 * float64(m) * float64(n) * float64(k)
		name := fmt.Sprintf("%dx%dx%d", m, n, k)
		b.Run(name+"/Sgemm", func(b *testing.B) {
			cpu0 := cpuSeconds()
			for range b.N {
				Sgemm(m, n, k, a, k, w, n, c, n, true)
			}
			report(b, flops, cpu0)
		})
		b.Run(name+"/SgemmPacked", func(b *testing.B) {
			cpu0 := cpuSeconds()
			for range b.N {
				SgemmPacked(m, a, k, pb, 0, n, c, n, true)
			}
			report(b, flops, cpu0)
		})
	}
}

// BenchmarkPoolFor measures the cost of one For round trip (waking the
// helpers and waiting for them) with trivial chunks: the floor under any
// parallel loop or Pool.Sgemm.
func BenchmarkPoolFor(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			pool := NewPool(threads)
			defer pool.Close()
			var sink [2]int
			fn := func(lo, hi int) { sink[lo&1] += hi - lo }
			b.ReportAllocs()
			for range b.N {
				pool.For(2, fn)
			}
		})
	}
}

// BenchmarkModulateAct times the SPADE modulation of 96 band pixels of 32
// channels (each with its own γ|β row), assembly against the portable loop
// in one run.
func BenchmarkModulateAct(b *testing.B) {
	const n, C = 96, 32
	rng := rand.New(rand.NewPCG(24, 25))
	x, o := randSlice(rng, n*C), make([]float32, n*C)
	sc, sh, gb := randSlice(rng, C), randSlice(rng, C), randSlice(rng, 2*n*C)
	for _, impl := range []string{"asm", "portable"} {
		b.Run(impl, func(b *testing.B) {
			if impl == "asm" && !useAsm {
				b.Skip("no assembly kernel here")
			}
			for range b.N {
				if impl == "asm" {
					ModulateAct(o, x, sc, sh, gb, true)
				} else {
					modulateGo(o, x, sc, sh, gb, true)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*C), "ns/value")
		})
	}
}
