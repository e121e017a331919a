// Package orchestrator runs a sweep's trials: the scheduler (one producer
// loop that hands each free worker the next trial, from a grid's list or
// from an adaptive search's sampler), the samplers and pruners of package
// search put to work, the executors (local model plugin processes, or
// Slurm job arrays of `sweep worker`), the sweep directory's lock, the
// trial records, resume and retry. The grid file, its expansion into
// trials, and their identities and names are package spec's.
package orchestrator
