// Package logger writes and reads TensorBoard event files natively, with no
// Python or TensorFlow at run time.
//
// A TrainingLogger writes one run: scalars (loss curves, learning rate),
// histograms (weights/<name>, gradients/<name>) with PyTorch's default
// buckets, the model graph, text, and the run's HParams session (its
// hyperparameters at the start, SUCCESS or FAILURE at the end), so that
// `tensorboard --logdir runs` shows what PyTorch's SummaryWriter would.
// MetricsTracker keeps metric series in memory for best-value queries. The
// reader (ReadRun, ReadScalars, ReadEvents) verifies both CRCs
// of every record, names the file and byte offset of any damage, and tells
// a truncated last record (ErrTruncated: a file still being written) from
// corruption (ErrCorrupt).
//
// The file format: each record is a little-endian uint64 length, the masked
// CRC32C of those 8 bytes, the serialized tensorflow.Event, and the masked
// CRC32C of the event. Messages are encoded with protowire directly, which
// avoids generated code for the dozen TensorBoard messages used and lets
// records be built in place in the write buffer without allocations.
//
// By design the sweep writes no HParams experiment summary by default:
// TensorBoard applies the first one it finds to the whole logdir and hides
// every column it does not list. WriteExperiment is there for a logdir that
// holds one sweep only.
package logger
