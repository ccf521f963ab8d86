// Instance-norm statistics: one work group per channel reduces its H*W
// values to the mean and the biased variance. The sums are taken around the
// channel's first value (a shift close to the mean), which keeps the
// one-pass variance accurate in float32 without a second pass.
// Bindings: 0 x [C][H*W], 1 stats (mean, 1/sqrt(var + 1e-5)) per channel.
// P: 0 H*W.
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Stats { vec2 stats[]; };

shared vec2 red[256];

void main() {
	int hw = P[0];
	int c = int(gl_WorkGroupID.x);
	uint t = gl_LocalInvocationID.x;
	int base = c * hw;
	float k = x[base];
	vec2 s = vec2(0.0);
	for (int i = int(t); i < hw; i += 256) {
		float d = x[base + i] - k;
		s += vec2(d, d * d);
	}
	red[t] = s;
	barrier();
	for (uint n = 128u; n > 0u; n >>= 1) {
		if (t < n) {
			red[t] += red[t + n];
		}
		barrier();
	}
	if (t == 0u) {
		float m = red[0].x / float(hw);
		float var = max(red[0].y / float(hw) - m * m, 0.0);
		stats[c] = vec2(k + m, 1.0 / sqrt(var + 1e-5));
	}
}
