// Command sweep-benchfn serves benchfn, a benchmark model with a known
// optimum, as a sweep plugin. Name it in a grid with
// plugin = "path/to/sweep-benchfn".
package main

import (
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/internal/benchfn"
)

func main() { plugins.Serve(benchfn.Model{}) }
