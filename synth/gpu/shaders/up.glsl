// Nearest-neighbour upsampling by 2: out[c][y][x] = in[c][y/2][x/2].
// Bindings: 0 input [C][H][W], 1 output [C][2H][2W]. P: 0 C, 1 H, 2 W.
layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer In { float inp[]; };
layout(std430, binding = 1) writeonly buffer Out { float outp[]; };

void main() {
	int C = P[0], H = P[1], W = P[2];
	int W2 = 2 * W;
	int n = C * 4 * H * W;
	int i = int(gl_GlobalInvocationID.x);
	if (i >= n) {
		return;
	}
	int c = i / (4 * H * W);
	int rem = i - c * 4 * H * W;
	int y = rem / W2;
	int x = rem - y * W2;
	outp[i] = inp[(c * H + (y >> 1)) * W + (x >> 1)];
}
