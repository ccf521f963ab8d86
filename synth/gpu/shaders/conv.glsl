// Direct convolution, stride 1, zero padding KS/2, tiled in shared memory:
// a work group computes a TX x (TY*PY) pixel tile for OCB output channels,
// walking the input channels CIC at a time. Each invocation keeps PY pixels x
// OCB channels in registers so every shared-memory load feeds several FMAs.
//
// With SPADE defined to 1 the same loop computes mlp_gamma and mlp_beta
// together and the epilogue applies the parameter-free norm and the
// modulation: out = act((x - mean) * invstd * (1 + gamma) + beta).
//
// Defines: KS, SPADE (0 or 1).
// Bindings: 0 input [Cin][H][W], 1 weights A [Cout][Cin][KS][KS], 2 bias A,
// 3 output [Cout][H][W], 4 aux (residual to add, or x to normalise),
// 5 weights B (beta), 6 bias B, 7 norm stats (mean, invstd per channel).
// P: 0 Cin, 1 Cout, 2 H, 3 W, 4 has bias, 5 has residual, 6 activation
// (0 none, 1 relu, 2 leaky relu 0.2, 3 tanh), 7 leaky relu on the input.
#define TX 16
#define TY 8
#define PY 2
#define OCB 8
#define CIC 8
#define KK (KS * KS)
#define R (KS / 2)
#define IW (TX + KS - 1)
#define IH (TY * PY + KS - 1)
#define NT (TX * TY)

layout(local_size_x = TX, local_size_y = TY) in;

layout(std430, binding = 0) readonly buffer In { float inp[]; };
layout(std430, binding = 1) readonly buffer WA { float wa[]; };
layout(std430, binding = 2) readonly buffer BA { float ba[]; };
layout(std430, binding = 3) writeonly buffer Out { float outp[]; };
layout(std430, binding = 4) readonly buffer Aux { float aux[]; };
#if SPADE
layout(std430, binding = 5) readonly buffer WB { float wb[]; };
layout(std430, binding = 6) readonly buffer BB { float bb[]; };
layout(std430, binding = 7) readonly buffer Stats { vec2 stats[]; };
#endif

shared float sIn[CIC * IH * IW];
shared float sWA[OCB * CIC * KK];
#if SPADE
shared float sWB[OCB * CIC * KK];
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
	int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
	int lid = ty * TX + tx;
	int bx = int(gl_WorkGroupID.x) * TX;
	int by = int(gl_WorkGroupID.y) * TY * PY;
	int oc0 = int(gl_WorkGroupID.z) * OCB;
	bool inLrelu = P[7] != 0;

	float a[PY * OCB];
#if SPADE
	float b[PY * OCB];
#endif
	for (int i = 0; i < PY * OCB; i++) {
		a[i] = 0.0;
#if SPADE
		b[i] = 0.0;
#endif
	}

	for (int ci0 = 0; ci0 < Cin; ci0 += CIC) {
		for (int i = lid; i < CIC * IH * IW; i += NT) {
			int c = i / (IH * IW);
			int rem = i - c * (IH * IW);
			int iy = rem / IW;
			int ix = rem - iy * IW;
			int gy = by + iy - R, gx = bx + ix - R, ci = ci0 + c;
			float v = 0.0;
			if (ci < Cin && gy >= 0 && gy < H && gx >= 0 && gx < W) {
				v = inp[(ci * H + gy) * W + gx];
				if (inLrelu && v < 0.0) {
					v *= 0.2;
				}
			}
			sIn[i] = v;
		}
		for (int i = lid; i < OCB * CIC * KK; i += NT) {
			int o = i / (CIC * KK);
			int rem = i - o * (CIC * KK);
			int c = rem / KK;
			int k = rem - c * KK;
			int oc = oc0 + o, ci = ci0 + c;
			bool ok = oc < Cout && ci < Cin;
			int wi = (oc * Cin + ci) * KK + k;
			sWA[i] = ok ? wa[wi] : 0.0;
#if SPADE
			sWB[i] = ok ? wb[wi] : 0.0;
#endif
		}
		barrier();
		for (int c = 0; c < CIC; c++) {
			for (int ky = 0; ky < KS; ky++) {
				for (int kx = 0; kx < KS; kx++) {
					float v[PY];
					for (int r = 0; r < PY; r++) {
						v[r] = sIn[(c * IH + ty + r * TY + ky) * IW + tx + kx];
					}
					int wbase = c * KK + ky * KS + kx;
					for (int o = 0; o < OCB; o++) {
						float w = sWA[o * CIC * KK + wbase];
#if SPADE
						float w2 = sWB[o * CIC * KK + wbase];
#endif
						for (int r = 0; r < PY; r++) {
							a[r * OCB + o] += v[r] * w;
#if SPADE
							b[r * OCB + o] += v[r] * w2;
#endif
						}
					}
				}
			}
		}
		barrier();
	}

	int x = bx + tx;
	if (x >= W) {
		return;
	}
	for (int r = 0; r < PY; r++) {
		int y = by + ty + r * TY;
		if (y >= H) {
			continue;
		}
		for (int o = 0; o < OCB; o++) {
			int oc = oc0 + o;
			if (oc >= Cout) {
				continue;
			}
			int at = (oc * H + y) * W + x;
			float v = a[r * OCB + o];
			if (P[4] != 0) {
				v += ba[oc];
			}
#if SPADE
			float beta = b[r * OCB + o] + bb[oc];
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
