package plugins_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
)

func TestSaveFile(t *testing.T) {
	dir := t.TempDir()
	req := plugins.TrainRequest{Checkpoint: plugins.Checkpoint{Dir: dir}}
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"model.safetensors", true},
		{"weights.npz", true},
		{"", false},
		{".hidden", false},
		{"../escape", false},
		{"sub/file", false},
		{`sub\file`, false},
		{"..", false},
		{"trial.json", false},
		{"model.log", false},
		{"events.out.tfevents.1.host", false},
	} {
		err := plugins.SaveFile(req, tc.name, []byte("x"))
		if (err == nil) != tc.ok {
			t.Errorf("SaveFile(%q): error %v, want ok=%v", tc.name, err, tc.ok)
			continue
		}
		if tc.ok {
			if b, err := os.ReadFile(filepath.Join(dir, tc.name)); err != nil || string(b) != "x" {
				t.Errorf("SaveFile(%q) wrote %q, %v", tc.name, b, err)
			}
		}
	}
	if err := plugins.SaveFile(plugins.TrainRequest{}, "model.safetensors", nil); !errors.Is(err, plugins.ErrNoCheckpoint) {
		t.Errorf("without a checkpoint directory: %v, want ErrNoCheckpoint", err)
	}
}
