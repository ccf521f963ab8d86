// The VAE generator's fc: out = W z + b, W [N][K] row-major.
// Bindings: 0 z [K], 1 W, 2 b [N], 3 out [N]. P: 0 N, 1 K.
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Z { float z[]; };
layout(std430, binding = 1) readonly buffer Wt { float wt[]; };
layout(std430, binding = 2) readonly buffer B { float bias[]; };
layout(std430, binding = 3) writeonly buffer Out { float outp[]; };

void main() {
	int N = P[0], K = P[1];
	int i = int(gl_GlobalInvocationID.x);
	if (i >= N) {
		return;
	}
	float s = 0.0;
	int base = i * K;
	for (int k = 0; k < K; k++) {
		s += wt[base + k] * z[k];
	}
	outp[i] = s + bias[i];
}
