// Package synth is the SPADE inference engine (Park et al., CVPR 2019,
// "Semantic Image Synthesis with Spatially-Adaptive Normalization"): it loads
// a generator (and optionally its style encoder) from the native
// .safetensors format described in docs/ARCHITECTURE.md and renders label
// maps into photos on the CPU.
//
// Typical use:
//
//	m, err := synth.Load("model.safetensors")
//	w, h := m.Size()
//	r, err := synth.NewRenderer(m, w, h, runtime.NumCPU())
//	defer r.Close()
//	z := synth.RandomStyle(seed, m.Config().ZDim) // or r.EncodeStyle(ctx, photo), or m.Styles()[i].Z
//	err = r.Render(ctx, labels, z, dst)            // labels hold dataset ids
//
// # Output size
//
// A Renderer is bound to one size: the model's native size, or for models
// without VAE any multiple of 2^Upsamplings() with the native aspect ratio
// (the first feature map is then larger). With VAE the fc layer maps z to a
// fixed sh×sw first feature map, so only the native size is valid.
//
// # How a frame is computed
//
// Feature maps are channels-last. Every convolution is im2col + GEMM
// (synth/internal/gemm) over tiles of output pixels spread over a worker
// pool; all buffers are made by NewRenderer, so Render allocates nothing.
//
// Most of SPADE's arithmetic is in the mlp convolutions that predict γ and β
// from the label map, and the label map is piecewise constant. The engine
// uses that twice:
//
//   - mlp_shared over a one-hot map is a gather: per pixel, the bias plus one
//     weight row per kernel tap (the row of the class under the tap).
//   - Where a pixel's (2k-1)×(2k-1) neighbourhood at that layer's resolution
//     (5×5 for 3×3 kernels, 9×9 for 5×5) lies inside the map and holds one
//     class, γ and β are exactly that class's constant vectors, precomputed
//     at load. Only the band of pixels near label boundaries and the map's
//     border gets the dense mlp_gamma/mlp_beta convolution, computed for a
//     compacted list of band pixels; the SPADE modulation then reads either
//     the class's affine map or the band row.
//
// The plain dense path (real convolutions over the one-hot map) is kept as
// Forward(..., dense=true); tests check that both agree and that both match
// PyTorch (train/fixtures.py) on every block.
package synth
