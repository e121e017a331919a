package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// `sweep plugins describe -h` prints help instead of launching a program
// named "-h"; another dash argument is a usage error, not a launch.
func TestPluginsHelpAndFlags(t *testing.T) {
	for _, args := range [][]string{{"describe", "-h"}, {"-h"}, {"describe", "--help"}, {"help"}, {"describe", "--json", "-h"}} {
		var out, errOut bytes.Buffer
		err := runPlugins(context.Background(), args, &ioStreams{Out: &out, ErrOut: &errOut})
		if !errors.Is(err, errHelp) || !strings.Contains(out.String(), "usage: sweep plugins describe [--json] PATH") {
			t.Errorf("plugins %v: %v, stdout %q; want the help", args, err, out.String())
		}
	}
	var out, errOut bytes.Buffer
	err := runPlugins(context.Background(), []string{"describe", "-x"}, &ioStreams{Out: &out, ErrOut: &errOut})
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `"-x" is not a plugin path`) {
		t.Errorf("plugins describe -x: %v, want a usage error naming -x", err)
	}
}
