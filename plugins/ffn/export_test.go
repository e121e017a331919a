package ffn

// Every Forward of the tests that keeps the transposed weights as they are
// checks them against the weights (see Network.transposed).
func init() { checkTransposed = true }

// The tests compare the BatchNorm running statistics with PyTorch's
// buffers; nothing else reads them from outside.

// Buffers returns the BatchNorm running statistics in state_dict order. The
// views alias the network; the returned slice must not be modified.
func (n *Network[T]) Buffers() []Param[T] { return n.buffers }
