//go:build !amd64

package gemm

// useAsm is false where there is no assembly kernel.
const useAsm = false

// sgemmKernelAsm is never called when useAsm is false; it exists so that the
// shared driver compiles everywhere.
func sgemmKernelAsm(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, acc bool) {
	panic("gemm: no assembly kernel on this architecture")
}

// sgemmKernel4Asm is never called when useAsm is false.
func sgemmKernel4Asm(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, acc bool) {
	panic("gemm: no assembly kernel on this architecture")
}

// packBAsm is never called when useAsm is false.
func packBAsm(kc, panels int, b *float32, ldb int, dst *float32) {
	panic("gemm: no assembly packer on this architecture")
}

// affineAsm is never called when useAsm is false.
func affineAsm(n, c int, x, a, b, o *float32, leaky bool) {
	panic("gemm: no assembly kernel on this architecture")
}

// modulateAsm is never called when useAsm is false.
func modulateAsm(n, c int, x, scale, shift, gb, o *float32, leaky bool) {
	panic("gemm: no assembly kernel on this architecture")
}

// sumRowsAsm is never called when useAsm is false.
func sumRowsAsm(n int, dst, bias *float32, rows **float32, nrows int, relu bool) {
	panic("gemm: no assembly kernel on this architecture")
}

// addAsm is never called when useAsm is false.
func addAsm(n int, dst, src *float32) {
	panic("gemm: no assembly kernel on this architecture")
}
