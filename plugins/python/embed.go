// Package python holds sweep's Python SDK for model plugins, sweep_plugin,
// and the files of a new Python model plugin, for the sweep binary to write
// into a user's project (which has no copy of this repository):
// `sweep plugins new python DIR` writes Template's files into DIR and
// vendors SDK beside them as DIR/sweep_plugin/, where model.py imports it.
package python

import "embed"

// SDK holds the sweep_plugin package, as sweep_plugin/*.py.
//
//go:embed sweep_plugin/*.py
var SDK embed.FS

// Template holds a new model plugin's files, as template/model.py,
// template/grid.toml and template/README.md.
//
//go:embed template/*
var Template embed.FS
