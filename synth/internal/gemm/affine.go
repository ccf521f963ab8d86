package gemm

import (
	"fmt"
	"math"
	"unsafe"
)

// AffineAct sets o[p·C+c] = f(x[p·C+c]·a[c] + b[c]) for the len(x)/C pixels
// of a channels-last map, C = len(a), f leaky ReLU (slope 0.2) when leaky
// and the identity otherwise: the renderer's SPADE modulation of a run of
// pixels that share one class's constants. The product and the sum are
// rounded separately (no FMA), so the result is bit-for-bit that of the
// plain Go expression. It panics on mismatched lengths.
func AffineAct(o, x, a, b []float32, leaky bool) {
	C := len(a)
	if C == 0 || len(b) != C || len(x)%C != 0 || len(o) < len(x) {
		panic(fmt.Sprintf("gemm: AffineAct: len(o)=%d len(x)=%d len(a)=%d len(b)=%d", len(o), len(x), len(a), len(b)))
	}
	if len(x) == 0 {
		return
	}
	if useAsm && C%8 == 0 {
		affineAsm(len(x)/C, C, &x[0], &a[0], &b[0], &o[0], leaky)
		return
	}
	affineGo(o, x, a, b, leaky)
}

// affineGo is the portable AffineAct.
func affineGo(o, x, a, b []float32, leaky bool) {
	C := len(a)
	for p := 0; p+C <= len(x); p += C {
		xs, os := x[p:p+C], o[p:p+C]
		for c, v := range xs {
			y := v*a[c] + b[c]
			if leaky {
				y = leakyRelu(y)
			}
			os[c] = y
		}
	}
}

// ModulateAct sets o[p·C+c] = f((x[p·C+c]·scale[c] + shift[c])·(1 + γ[c]) + β[c])
// for the len(x)/C pixels of a channels-last map, C = len(scale), where
// γ|β of pixel p is row p of gb (2C values: γ then β): the renderer's SPADE
// modulation of band pixels, whose γ and β differ from pixel to pixel. f is
// as in AffineAct, and each operation is rounded on its own, so the result
// is bit-for-bit that of the plain Go expression. It panics on mismatched
// lengths.
func ModulateAct(o, x, scale, shift, gb []float32, leaky bool) {
	C := len(scale)
	if C == 0 || len(shift) != C || len(x)%C != 0 || len(o) < len(x) || len(gb) < 2*len(x) {
		panic(fmt.Sprintf("gemm: ModulateAct: len(o)=%d len(x)=%d len(scale)=%d len(shift)=%d len(gb)=%d",
			len(o), len(x), len(scale), len(shift), len(gb)))
	}
	if len(x) == 0 {
		return
	}
	if useAsm && C%8 == 0 {
		modulateAsm(len(x)/C, C, &x[0], &scale[0], &shift[0], &gb[0], &o[0], leaky)
		return
	}
	modulateGo(o, x, scale, shift, gb, leaky)
}

// modulateGo is the portable ModulateAct.
func modulateGo(o, x, scale, shift, gb []float32, leaky bool) {
	C := len(scale)
	for p := 0; p+C <= len(x); p += C {
		xs, os := x[p:p+C], o[p:p+C]
		g, b := gb[2*p:2*p+C], gb[2*p+C:2*p+2*C]
		for c, v := range xs {
			y := (v*scale[c]+shift[c])*(1+g[c]) + b[c]
			if leaky {
				y = leakyRelu(y)
			}
			os[c] = y
		}
	}
}

// leakyRelu is y·0.2 for negative y (sign bit set), else y, as a product
// with a factor chosen by the sign bit like the assembly's blend.
func leakyRelu(y float32) float32 {
	const one, slope = 0x3f800000, 0x3e4ccccd
	m := uint32(int32(math.Float32bits(y)) >> 31)
	return y * math.Float32frombits(one^(m&(one^slope)))
}

// SumRows sets dst = bias + rows[0][:n] + rows[1][:n] + …, n = len(bias),
// added in that order, then with relu clears negative values to +0: the
// renderer's mlp_shared over a one-hot map at one pixel, a sum of one weight
// row per kernel tap. Each rows[i] is the first value of a row of at least n
// values; the caller guarantees that. It panics if dst is shorter than bias.
func SumRows(dst, bias []float32, rows []*float32, relu bool) {
	n := len(bias)
	if len(dst) < n {
		panic(fmt.Sprintf("gemm: SumRows: len(dst)=%d < len(bias)=%d", len(dst), n))
	}
	if n == 0 {
		return
	}
	if useAsm && n%8 == 0 {
		var first **float32
		if len(rows) > 0 {
			first = &rows[0]
		}
		sumRowsAsm(n, &dst[0], &bias[0], first, len(rows), relu)
		return
	}
	sumRowsGo(dst, bias, rows, relu)
}

// sumRowsGo is the portable SumRows.
func sumRowsGo(dst, bias []float32, rows []*float32, relu bool) {
	n := len(bias)
	acc := dst[:n]
	copy(acc, bias)
	for _, r := range rows {
		row := unsafe.Slice(r, n)
		for i, v := range row {
			acc[i] += v
		}
	}
	if relu {
		for i, v := range acc {
			b := math.Float32bits(v)
			acc[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
	}
}

// AddTo adds src to dst element-wise (len(src) values; dst at least as
// long): the renderer's sum of one-hot weight rows in its mlp_shared
// gather. AVX2 for lengths that are multiples of 8, the same sums as the
// Go loop.
func AddTo(dst, src []float32) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("gemm: AddTo: len(dst)=%d < len(src)=%d", len(dst), len(src)))
	}
	if useAsm && len(src)%8 == 0 && len(src) > 0 {
		addAsm(len(src), &dst[0], &src[0])
		return
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}
