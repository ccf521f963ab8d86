// The generator's tanh output [3][H][W] to 8-bit RGBA, as the reference's
// tensor2im: clip((x + 1) / 2 * 255, 0, 255), then truncate. "precise" keeps
// the compiler from folding the two multiplications into one, which would
// round differently and move values across integer boundaries.
// Bindings: 0 input, 1 output (one uint per pixel, R in the low byte).
// P: 0 H*W.
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer In { float inp[]; };
layout(std430, binding = 1) writeonly buffer Out { uint outp[]; };

uint q(float x) {
	precise float t = x + 1.0;
	precise float u = t / 2.0;
	precise float v = u * 255.0;
	return uint(clamp(v, 0.0, 255.0));
}

void main() {
	int hw = P[0];
	int i = int(gl_GlobalInvocationID.x);
	if (i >= hw) {
		return;
	}
	outp[i] = q(inp[i]) | (q(inp[hw + i]) << 8) | (q(inp[2 * hw + i]) << 16) | 0xff000000u;
}
