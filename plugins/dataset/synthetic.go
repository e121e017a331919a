package dataset

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// The synthetic dataset imitates cross-sectional return prediction: the
// features are characteristics driven by a few common factors, and the
// target responds to a handful of them nonlinearly.
//
// Each feature is standard normal, x_j = l_j·f + sqrt(1 − |l_j|²)·e_j, with
// syntheticFactors latent factors f and idiosyncratic e_j (all N(0, 1)) and
// loadings l_jk ~ U(−0.5, 0.5). The target is
//
//	y = 0.8·tanh(1.5·x₀) + 0.6·x₁·x₂ + 0.5·max(x₃, 0) − 0.4·(x₄² − 1) + 0.3·sin(2·x₅) + 0.2·x₆ + ε,
//
// ε ~ N(0, noise²) independent of x, with feature indices taken modulo the
// number of features. The products, the square and the saturation are out
// of a linear model's reach, and since ε is independent of the features the
// best achievable expected validation MSE, that of the exact signal, is
// noise² (0.25 with the default noise 0.5); standardising the features, an
// invertible map, does not change it.
const syntheticFactors = 3

// A synthetic panel (SyntheticSpec.Assets > 0) has Assets rows a day, in
// date order, and two slow day-level processes that make time matter as it
// does in returns data: a regime r_d, which is observed (the last feature,
// "regime"), and a day component u_d of the target, which is not. Both are
// AR(1) with coefficient panelPersistence and unit (r) or panelDayScale (u)
// stationary standard deviation, independent of each other. A model can
// learn u_d only by remembering which regime values went with which days:
// a random split lets it (the validation rows' days are in the training
// rows), a split by date does not, which is why a random split overstates
// what a model will do on later data. The best achievable validation MSE
// on later days is then noise² + panelDayScale²·(1 − φ^(2h)) for a horizon
// of h days.
const (
	panelPersistence = 0.98
	panelDayScale    = 0.5
)

// panelEpoch is the first synthetic date.
var panelEpoch = time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)

// Streams of the PCG generator, so that the synthetic rows and the random
// split draw independent sequences from the one data seed.
const (
	streamSynthetic = 0x5eed_da7a
	streamSplit     = 0x5eed_5917
)

// signal is the synthetic target without noise.
func signal(x []float64) float64 {
	at := func(i int) float64 { return x[i%len(x)] }
	return 0.8*math.Tanh(1.5*at(0)) + 0.6*at(1)*at(2) + 0.5*math.Max(at(3), 0) -
		0.4*(at(4)*at(4)-1) + 0.3*math.Sin(2*at(5)) + 0.2*at(6)
}

// synthetic generates the dataset s describes from seed, deterministically.
func synthetic(ctx context.Context, s SyntheticSpec, seed int64) (*table, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), streamSynthetic))
	nf := s.Features
	loadings := make([]float64, nf*syntheticFactors)
	for i := range loadings {
		loadings[i] = rng.Float64() - 0.5
	}
	idio := make([]float64, nf)
	for j := range idio {
		var ss float64
		for _, l := range loadings[j*syntheticFactors : (j+1)*syntheticFactors] {
			ss += l * l
		}
		idio[j] = math.Sqrt(1 - ss)
	}
	width := nf // the features, and for a panel the regime
	if s.Assets > 0 {
		width++
	}
	t := &table{x: make([]float64, s.Rows*width), y: make([]float64, s.Rows)}
	for j := range nf {
		t.features = append(t.features, "x"+strconv.Itoa(j))
	}
	var regime, dayPart float64
	if s.Assets > 0 {
		t.features = append(t.features, "regime")
		t.dates = make([]int64, s.Rows)
		// Each process starts from its stationary distribution.
		regime, dayPart = rng.NormFloat64(), panelDayScale*rng.NormFloat64()
	}
	innovation := math.Sqrt(1 - panelPersistence*panelPersistence)
	var f [syntheticFactors]float64
	const ctxCheckRows = 4096 // how often, in rows, to check for cancellation
	for r := range s.Rows {
		if r%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if s.Assets > 0 && r > 0 && r%s.Assets == 0 { // a new day
			regime = panelPersistence*regime + innovation*rng.NormFloat64()
			dayPart = panelPersistence*dayPart + innovation*panelDayScale*rng.NormFloat64()
		}
		for k := range f {
			f[k] = rng.NormFloat64()
		}
		row := t.x[r*width : r*width+nf]
		for j := range row {
			var common float64
			for k, l := range loadings[j*syntheticFactors : (j+1)*syntheticFactors] {
				common += l * f[k]
			}
			row[j] = common + idio[j]*rng.NormFloat64()
		}
		t.y[r] = signal(row) + s.Noise*rng.NormFloat64()
		if s.Assets > 0 {
			t.x[r*width+nf] = regime
			t.y[r] += dayPart
			t.dates[r] = panelEpoch.AddDate(0, 0, r/s.Assets).UnixNano()
		}
	}
	return t, nil
}
