// Direct convolution, stride 1, zero padding KS/2. One invocation computes
// PX = 4 neighbouring pixels of a row for OCB = 8 output channels, kept in
// vec4 accumulators: each input row segment is loaded once and used for
// every tap and channel, each weight vec4 for four pixels. Every
// invocation of a work group reads the same weights at the same time (a
// broadcast load on GPUs). No shared memory and no barriers: on llvmpipe a
// shared-memory tiled version was no faster, and this one is simpler.
//
// With SPADE defined to 1 the same loop computes mlp_gamma and mlp_beta
// together and the epilogue applies the parameter-free norm and the
// modulation: out = act((x - mean) * invstd * (1 + gamma) + beta).
//
// Defines: KS, SPADE (0 or 1).
// Bindings: 0 input [Cin][H][W], 1 weights A as [Cin][KS*KS][C8] (C8 =
// Cout rounded up to 8, zero padded), 2 bias A, 3 output [Cout][H][W],
// 4 aux (residual to add, or x to normalise), 5 weights B (beta), 6 bias B,
// 7 norm stats (mean, invstd per channel).
// P: 0 Cin, 1 Cout, 2 H, 3 W, 4 has bias, 5 has residual, 6 activation
// (0 none, 1 relu, 2 leaky relu 0.2, 3 tanh), 7 leaky relu on the input.
#define KK (KS * KS)
#define R (KS / 2)
#define PX 4 // pixels along x per invocation

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer In { float inp[]; };
layout(std430, binding = 1) readonly buffer WA { vec4 wa[]; };
layout(std430, binding = 2) readonly buffer BA { float ba[]; };
layout(std430, binding = 3) writeonly buffer Out { float outp[]; };
layout(std430, binding = 4) readonly buffer Aux { float aux[]; };
#if SPADE
layout(std430, binding = 5) readonly buffer WB { vec4 wb[]; };
layout(std430, binding = 6) readonly buffer BB { float bb[]; };
layout(std430, binding = 7) readonly buffer Stats { vec2 stats[]; };
#endif

float tanh_(float x) {
	// GLSL's tanh overflows to NaN for large |x| on some drivers.
	float t = exp(-2.0 * abs(x));
	float r = (1.0 - t) / (1.0 + t);
	return x < 0.0 ? -r : r;
}

float act(float v, int a) {
	if (a == 1) {
		return max(v, 0.0);
	} else if (a == 2) {
		return v > 0.0 ? v : 0.2 * v;
	} else if (a == 3) {
		return tanh_(v);
	}
	return v;
}

void main() {
	int Cin = P[0], Cout = P[1], H = P[2], W = P[3];
	int hw = H * W;
	int nq = (W + PX - 1) / PX; // pixel groups per row
	int q = int(gl_GlobalInvocationID.x);
	if (q >= nq * H) {
		return;
	}
	int y = q / nq;
	int x0 = (q - y * nq) * PX;
	int oc0 = int(gl_WorkGroupID.y) * 8;
	int c4 = ((Cout + 7) / 8) * 2; // vec4s per weight row
	int wo = oc0 / 4;
	bool inLrelu = P[7] != 0;
	vec4 a[2 * PX];
#if SPADE
	vec4 b[2 * PX];
#endif
	for (int j = 0; j < 2 * PX; j++) {
		a[j] = vec4(0.0);
#if SPADE
		b[j] = vec4(0.0);
#endif
	}
	// Loop bounds and weight addresses are the same for every invocation
	// (uniform), so drivers load each weight once per work group; the
	// borders are handled by zeroing the inputs that fall outside.
	for (int ci = 0; ci < Cin; ci++) {
		for (int ky = 0; ky < KS; ky++) {
			int yy = y + ky - R;
			bool rowOK = yy >= 0 && yy < H;
			int rb = ci * hw + yy * W;
			float row[PX + KS - 1];
			for (int j = 0; j < PX + KS - 1; j++) {
				int xx = x0 + j - R;
				float v = 0.0;
				if (rowOK && xx >= 0 && xx < W) {
					v = inp[rb + xx];
				}
				row[j] = inLrelu ? max(v, 0.2 * v) : v;
			}
			int wi = (ci * KK + ky * KS) * c4 + wo;
			for (int kx = 0; kx < KS; kx++) {
				vec4 w0 = wa[wi + kx * c4], w1 = wa[wi + kx * c4 + 1];
#if SPADE
				vec4 v0 = wb[wi + kx * c4], v1 = wb[wi + kx * c4 + 1];
#endif
				for (int j = 0; j < PX; j++) {
					a[2 * j] += row[j + kx] * w0;
					a[2 * j + 1] += row[j + kx] * w1;
#if SPADE
					b[2 * j] += row[j + kx] * v0;
					b[2 * j + 1] += row[j + kx] * v1;
#endif
				}
			}
		}
	}
	// Constant trip counts and no break: the loops unroll and the
	// accumulator arrays stay in registers (an indexed array would live in
	// memory, which costs llvmpipe two orders of magnitude).
	for (int j = 0; j < PX; j++) {
		for (int o = 0; o < 8; o++) {
			int oc = oc0 + o;
			if (x0 + j < W && oc < Cout) {
				int at = oc * hw + y * W + x0 + j;
				float v = a[2 * j + o / 4][o % 4];
				if (P[4] != 0) {
					v += ba[oc];
				}
#if SPADE
				float beta = b[2 * j + o / 4][o % 4] + bb[oc];
				vec2 st = stats[oc];
				v = (aux[at] - st.x) * st.y * (1.0 + v) + beta;
#else
				if (P[5] != 0) {
					v += aux[at];
				}
#endif
				outp[at] = act(v, P[6]);
			}
		}
	}
}
