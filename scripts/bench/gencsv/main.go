// Command gencsv writes a numeric CSV for the data-scale benchmark
// (scripts/bench/data_scale.sh): a header f0..f<n-1>,target, then rows of
// standard-normal features with six decimals (about 9 bytes a cell, as
// real exported data) and a target that depends on a few of them.
//
//	go run ./scripts/bench/gencsv -rows 1000000 -features 50 -o data.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "data rows")
	features := flag.Int("features", 50, "feature columns")
	out := flag.String("o", "data.csv", "the file to write")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for j := range *features {
		fmt.Fprintf(w, "f%d,", j)
	}
	w.WriteString("target\n")
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, *features)
	var buf []byte
	for range *rows {
		for j := range x {
			x[j] = rng.NormFloat64()
			buf = strconv.AppendFloat(buf[:0], x[j], 'f', 6, 64)
			w.Write(buf)
			w.WriteByte(',')
		}
		y := math.Tanh(x[0]) + 0.5*x[1%len(x)]*x[2%len(x)] + 0.5*rng.NormFloat64()
		buf = strconv.AppendFloat(buf[:0], y, 'f', 6, 64)
		w.Write(buf)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
