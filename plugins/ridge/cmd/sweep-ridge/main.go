// Command sweep-ridge serves the ridge regression model as a sweep plugin.
// Name it in a grid with plugin = "path/to/sweep-ridge".
package main

import (
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/ridge"
)

func main() { plugins.Serve(&ridge.Model{}) }
