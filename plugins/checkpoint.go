package plugins

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/results/atomicfile"
)

// ErrNoCheckpoint is what SaveFile returns when the host asked for no
// files: a model that saves only what is asked for can ignore it.
var ErrNoCheckpoint = errors.New("the host keeps no checkpoint files for this trial")

// SaveFile keeps data as the file name of the trial, in the directory the
// request's Checkpoint names, atomically: a reader (sweep predict, a
// resumed sweep) sees the whole file or none, even after a kill. The name
// is a plain file name such as "model.safetensors": no directories, no
// hidden files (a leading dot is what temporary files use). A request that
// asks for no checkpoint gives ErrNoCheckpoint.
func SaveFile(req TrainRequest, name string, data []byte) error {
	if req.Checkpoint.Dir == "" {
		return ErrNoCheckpoint
	}
	if err := checkFileName(name); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(req.Checkpoint.Dir, name), data)
}

// hostFiles are the names the host writes in a run directory
// (results.TrialFile, orchestrator.ModelLogFile), which a model's file must
// not replace; TensorBoard's event files start with eventFilePrefix.
var hostFiles = []string{"trial.json", "model.log"}

const eventFilePrefix = "events.out.tfevents."

// checkFileName reports a checkpoint file name that is not a plain one, or
// that is one of the host's own files.
func checkFileName(name string) error {
	switch {
	case name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`) || name != filepath.Base(name):
		return fmt.Errorf("checkpoint file name %q: want a plain file name, without directories or a leading dot", name)
	case slices.Contains(hostFiles, name) || strings.HasPrefix(name, eventFilePrefix):
		return fmt.Errorf("checkpoint file name %q: the host's own file; choose another name", name)
	}
	return nil
}
