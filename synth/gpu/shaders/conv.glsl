// Direct convolution, stride 1, zero padding KS/2. One invocation computes
// one pixel for OCB = 8 output channels, kept in two vec4 accumulators;
// every invocation of a work group reads the same weights (one vec4 pair
// per input channel and tap: a broadcast load on GPUs) and neighbouring
// input pixels (coalesced). No shared memory and no barriers: llvmpipe
// runs barrier-heavy tiled kernels some hundred times slower.
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
	int pix = int(gl_GlobalInvocationID.x);
	if (pix >= hw) {
		return;
	}
	int y = pix / W;
	int x = pix - y * W;
	int oc0 = int(gl_WorkGroupID.y) * 8;
	int c4 = ((Cout + 7) / 8) * 2; // vec4s per weight row
	int wo = oc0 / 4;
	bool inLrelu = P[7] != 0;
	vec4 a0 = vec4(0.0), a1 = vec4(0.0);
#if SPADE
	vec4 b0 = vec4(0.0), b1 = vec4(0.0);
#endif
	int y0 = max(0, R - y), y1 = min(KS, H + R - y);
	int x0 = max(0, R - x), x1 = min(KS, W + R - x);
	for (int ci = 0; ci < Cin; ci++) {
		int ib = ci * hw + (y - R) * W + (x - R);
		int wb0 = ci * KK * c4 + wo;
		for (int ky = y0; ky < y1; ky++) {
			for (int kx = x0; kx < x1; kx++) {
				float v = inp[ib + ky * W + kx];
				if (inLrelu && v < 0.0) {
					v *= 0.2;
				}
				int wi = wb0 + (ky * KS + kx) * c4;
				a0 += v * wa[wi];
				a1 += v * wa[wi + 1];
#if SPADE
				b0 += v * wb[wi];
				b1 += v * wb[wi + 1];
#endif
			}
		}
	}
	float acc[8] = float[8](a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w);
#if SPADE
	float bcc[8] = float[8](b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w);
#endif
	for (int o = 0; o < 8; o++) {
		int oc = oc0 + o;
		if (oc >= Cout) {
			break;
		}
		int at = oc * hw + pix;
		float v = acc[o];
		if (P[4] != 0) {
			v += ba[oc];
		}
#if SPADE
		float beta = bcc[o] + bb[oc];
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
