package ffn

import "golang.org/x/sys/cpu"

// The roofline loops of peak_amd64.s: each runs iters iterations of
// register-only FMAs, to measure the core's FMA throughput (see
// BenchmarkPeak). They are not used in training.

//go:noescape
func fmaPeakAVX2F64(iters int)

//go:noescape
func fmaPeakAVX2F32(iters int)

//go:noescape
func fmaPeakAVX512F64(iters int)

//go:noescape
func fmaPeakAVX512F32(iters int)

// fmaLoops returns the roofline loops this processor executes.
func fmaLoops() []fmaLoop {
	var loops []fmaLoop
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		// 12 FMAs of 4 (float64) or 8 (float32) lanes, 2 FLOPs each.
		loops = append(loops,
			fmaLoop{"avx2/float64", false, 12 * 4 * 2, fmaPeakAVX2F64},
			fmaLoop{"avx2/float32", true, 12 * 8 * 2, fmaPeakAVX2F32})
	}
	if cpu.X86.HasAVX512F {
		// 24 FMAs of 8 or 16 lanes.
		loops = append(loops,
			fmaLoop{"avx512/float64", false, 24 * 8 * 2, fmaPeakAVX512F64},
			fmaLoop{"avx512/float32", true, 24 * 16 * 2, fmaPeakAVX512F32})
	}
	return loops
}
