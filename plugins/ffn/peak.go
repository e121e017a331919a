package ffn

// fmaLoop is a roofline loop: run executes iters iterations of flops
// floating-point operations each (an FMA counts two), on registers only.
type fmaLoop struct {
	name    string // "<instruction set>/<float type>"
	float32 bool
	flops   float64
	run     func(iters int)
}
