//go:build !amd64

package gemm

// useAsm is false where there is no assembly kernel.
const useAsm = false

// sgemmKernelAsm is never called when useAsm is false; it exists so that the
// shared driver compiles everywhere.
func sgemmKernelAsm(k int, a, b, c *float32, ldc int, acc bool) {
	panic("gemm: no assembly kernel on this architecture")
}
