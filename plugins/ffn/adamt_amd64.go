package ffn

// adamTAVX2 is adamAVX2 over the rows × cols matrix at theta (row-major;
// grad, m and v laid out as theta), rows a multiple of 4, which also writes
// the updated matrix's transpose to wt (row stride ldt); see
// Adam.stepTransposing. The caller checks the bounds.
//
//go:noescape
func adamTAVX2(rows, cols int, theta, grad, m, v, wt *float64, ldt int, c *adamConsts[float64])
