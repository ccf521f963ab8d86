// The first convolution of a SPADE block (mlp_shared) and the no-VAE fc see
// a one-hot label map, so each tap contributes exactly one weight column: the
// conv is a gather. Weights are stored [channel][tap][out] so that one tap's
// column is contiguous. One invocation computes HB outputs of one pixel.
//
// Defines: KS (kernel size).
// Bindings: 0 labels (channel | edge<<16 per label-map pixel), 1 nearest
// index tables, 2 weights, 3 bias, 4 output [N][H][W].
// P: 0 H, 1 W, 2 N, 3 label-map width, 4 row-table offset, 5 column-table
// offset, 6 relu, 7 edge channel (-1: none).
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Lab { uint lab[]; };
layout(std430, binding = 1) readonly buffer Idx { int idx[]; };
layout(std430, binding = 2) readonly buffer Wt { float wt[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(std430, binding = 4) writeonly buffer Out { float outp[]; };

#define HB 16
#define KK (KS * KS)
#define R (KS / 2)

void main() {
	int H = P[0], W = P[1], N = P[2], LW = P[3], ro = P[4], co = P[5];
	int pix = int(gl_GlobalInvocationID.x);
	if (pix >= H * W) {
		return;
	}
	int y = pix / W;
	int x = pix - y * W;
	int h0 = int(gl_WorkGroupID.y) * HB;
	int nj = min(HB, N - h0);
	float acc[HB];
	for (int j = 0; j < HB; j++) {
		acc[j] = j < nj ? bias[h0 + j] : 0.0;
	}
	for (int ky = 0; ky < KS; ky++) {
		int yy = y + ky - R;
		if (yy < 0 || yy >= H) {
			continue;
		}
		int srow = idx[ro + yy] * LW;
		for (int kx = 0; kx < KS; kx++) {
			int xx = x + kx - R;
			if (xx < 0 || xx >= W) {
				continue;
			}
			uint v = lab[srow + idx[co + xx]];
			int tap = ky * KS + kx;
			int base = (int(v & 0xffffu) * KK + tap) * N + h0;
			for (int j = 0; j < HB; j++) {
				if (j < nj) {
					acc[j] += wt[base + j];
				}
			}
			if ((v >> 16) != 0u && P[7] >= 0) {
				base = (P[7] * KK + tap) * N + h0;
				for (int j = 0; j < HB; j++) {
					if (j < nj) {
						acc[j] += wt[base + j];
					}
				}
			}
		}
	}
	int hw = H * W;
	for (int j = 0; j < HB; j++) {
		if (j < nj) {
			float r = acc[j];
			if (P[6] != 0) {
				r = max(r, 0.0);
			}
			outp[(h0 + j) * hw + pix] = r;
		}
	}
}
