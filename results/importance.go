package results

import (
	"cmp"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// MinImportanceTrials is the fewest scored trials for which a report
// estimates hyperparameter importance: below it a forest fits noise.
const MinImportanceTrials = 10

// The forest behind the importance estimate. 32 trees keep the spread of
// the estimate over trees small; the depth limit stops a tree from
// memorising seed noise (leaves may hold one trial); 64 bins per hyperparameter bound the cost of a
// split search at 10,000 trials without losing a grid's values (grids have
// fewer).
const (
	forestTrees   = 32
	forestMinLeaf = 1
	forestDepth   = 24
	forestBins    = 64
)

// Importance is one swept hyperparameter's importance for the score.
type Importance struct {
	Param string
	// Share is the fraction of the score's variance that this
	// hyperparameter explains alone (its fANOVA main effect), averaged
	// over the forest's trees; Std is its standard deviation over them.
	Share, Std float64
}

// ImportanceReport is the functional ANOVA of the score over the swept
// hyperparameters (Hutter, Hoos and Leyton-Brown, ICML 2014), computed
// exactly on a random forest fitted to the trials. Each hyperparameter's
// measure is uniform over the distinct values the trials took (for a
// grid, its values; for a random search, the draws, so a log-uniform
// dimension is weighed in log space).
type ImportanceReport struct {
	Trials int // the succeeded trials with a finite score it is fitted to (at most MaxImportanceTrials)
	Trees  int
	// Params is sorted by Share, largest first.
	Params []Importance
	// Interactions is what the main effects leave of the variance: the
	// share of interactions between hyperparameters (a forest fitted to
	// noisy scores puts some of the noise here too).
	Interactions float64
}

// MaxImportanceTrials bounds the trials the forest is fitted to: above it,
// a random sample of this many (the same for the same sweep) estimates the
// variance shares as well, for a fraction of the time.
const MaxImportanceTrials = 10_000

// sample returns at most n of the trials (params, y), drawn without
// replacement by a generator of fixed seed, in their order.
func sample(params []map[string]any, y []float64, n int) ([]map[string]any, []float64) {
	if len(y) <= n {
		return params, y
	}
	keep := rand.New(rand.NewPCG(0x1a7, 0x5a3)).Perm(len(y))[:n]
	slices.Sort(keep)
	ps, ys := make([]map[string]any, n), make([]float64, n)
	for i, k := range keep {
		ps[i], ys[i] = params[k], y[k]
	}
	return ps, ys
}

// ParamImportance estimates the importance of r's swept hyperparameters
// from the trials of s that count in r (ids restricts them as in
// RankOptions), or from a sample of MaxImportanceTrials of them. It is nil
// with fewer than MinImportanceTrials scored trials or when no swept
// hyperparameter takes two values.
func ParamImportance(s *Sweep, r *Ranking, ids []string) *ImportanceReport {
	return paramImportance(s, r.Swept, ids)
}

// paramImportance is ParamImportance for the hyperparameters swept (as
// Ranking.Swept names them), so that it can run beside Rank.
func paramImportance(s *Sweep, swept []string, ids []string) *ImportanceReport {
	keep := idFilter(ids)
	var params []map[string]any
	var y []float64
	for _, tr := range s.Trials {
		if !keep(tr.ID) || tr.Finished == nil {
			continue
		}
		t := tr.Finished.Trial
		if score := t.ScoreOrDefault(); t.Status == StatusSucceeded && finite(score) {
			params = append(params, t.Params)
			y = append(y, *score)
		}
	}
	if len(y) < MinImportanceTrials {
		return nil
	}
	params, y = sample(params, y, MaxImportanceTrials)
	var names []string
	var cols [][]int
	var levels []int
	for _, name := range swept {
		col, k := encode(params, name)
		if k > 1 {
			names, cols, levels = append(names, name), append(cols, col), append(levels, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fanova(names, cols, levels, y, forestTrees)
}

// encode maps each trial's value of a hyperparameter to the index of that
// value among the distinct values sorted (numbers by value, anything else
// by how it is shown); it returns the indices and how many values there
// are.
func encode(params []map[string]any, name string) ([]int, int) {
	keys := make([]string, len(params))
	nums := make(map[string]float64)
	numeric := true
	for i, p := range params {
		v := p[name]
		keys[i] = FormatValue(v)
		if x, ok := number(v); ok {
			nums[keys[i]] = x
		} else {
			numeric = false
		}
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(keys)))
	if numeric {
		slices.SortFunc(distinct, func(a, b string) int { return cmp.Compare(nums[a], nums[b]) })
	}
	index := make(map[string]int, len(distinct))
	for i, k := range distinct {
		index[k] = i
	}
	col := make([]int, len(params))
	for i, k := range keys {
		col[i] = index[k]
	}
	return col, len(distinct)
}

// number reads a hyperparameter value as a number, if it is one.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case json.Number:
		x, err := strconv.ParseFloat(v.String(), 64)
		return x, err == nil
	}
	return 0, false
}

// fanova fits a forest of trees to y over the encoded columns and returns
// the mean over trees of each column's main-effect share of the tree's
// variance. A regression tree is piecewise constant on boxes, so its
// marginals, and their variances, are exact sums over its leaves.
func fanova(names []string, cols [][]int, levels []int, y []float64, trees int) *ImportanceReport {
	d, n := len(cols), len(y)
	// Bin each column once: a value's bin bounds where a tree can split.
	bins := make([][]uint8, d)
	nbins := make([]int, d)
	for j := range cols {
		nbins[j] = min(levels[j], forestBins)
		bins[j] = make([]uint8, n)
		for i, v := range cols[j] {
			bins[j][i] = uint8(v * nbins[j] / levels[j])
		}
	}
	// The forest is the same for the same trials: a report does not change
	// from one run to the next.
	rng := rand.New(rand.NewPCG(uint64(n), uint64(d)))
	shares := make([][]float64, d)
	b := &treeBuilder{bins: bins, nbins: nbins, y: y, scratch: make([]int, 0, n)}
	sample := make([]int, n)
	for range trees {
		for i := range sample {
			sample[i] = rng.IntN(n)
		}
		b.leaves, b.boxes = b.leaves[:0], b.boxes[:0]
		full := make([]box, d)
		for j := range full {
			full[j] = box{0, nbins[j]}
		}
		b.grow(sample, full, 0)
		tree := mainEffects(b.leaves, nbins)
		if tree == nil {
			continue // a constant tree explains nothing
		}
		for j := range d {
			shares[j] = append(shares[j], tree[j])
		}
	}
	rep := &ImportanceReport{Trials: n, Trees: trees, Interactions: 1}
	for j, name := range names {
		mean, std := meanStd(shares[j])
		rep.Params = append(rep.Params, Importance{Param: name, Share: mean, Std: std})
		rep.Interactions -= mean
	}
	rep.Interactions = max(rep.Interactions, 0)
	slices.SortStableFunc(rep.Params, func(a, b Importance) int { return cmp.Compare(b.Share, a.Share) })
	return rep
}

func meanStd(x []float64) (float64, float64) {
	if len(x) == 0 {
		return 0, 0
	}
	s := newStat(x)
	if s.N < 2 {
		return s.Mean, 0
	}
	return s.Mean, s.Std
}

// box is a leaf's extent along one column, in bins: [lo, hi).
type box struct{ lo, hi int }

type leaf struct {
	extent []box
	value  float64
}

// treeBuilder grows the trees of a forest one after the other, reusing its
// buffers: allocating the halves of every split and each leaf's extent
// came to 85 MB per report, which the garbage collector then scanned.
type treeBuilder struct {
	bins    [][]uint8
	nbins   []int
	y       []float64
	leaves  []leaf
	boxes   []box // the leaves' extents, back to back
	scratch []int // for partition
}

// partition reorders idx so that the rows whose bin in col is below cut
// come first, each side in its former order (so that sums over it, and
// the trees, are exactly those of separate slices), and returns how many
// are.
func (b *treeBuilder) partition(idx []int, col []uint8, cut int) int {
	right := b.scratch[:0]
	k := 0
	for _, i := range idx {
		if int(col[i]) < cut {
			idx[k] = i
			k++
		} else {
			right = append(right, i)
		}
	}
	copy(idx[k:], right)
	b.scratch = right
	return k
}

// grow splits the rows in idx (all inside extent) where the sum of squared
// errors falls most, until a node is too small, too deep or pure.
func (b *treeBuilder) grow(idx []int, extent []box, depth int) {
	var sum float64
	for _, i := range idx {
		sum += b.y[i]
	}
	mean := sum / float64(len(idx))
	bestJ, bestCut, bestGain := -1, 0, 1e-12*float64(len(idx))
	if depth < forestDepth && len(idx) >= 2*forestMinLeaf {
		var cnt [forestBins]int
		var sums [forestBins]float64
		for j, col := range b.bins {
			e := extent[j]
			if e.hi-e.lo < 2 {
				continue
			}
			clear(cnt[:])
			clear(sums[:])
			for _, i := range idx {
				cnt[col[i]]++
				sums[col[i]] += b.y[i]
			}
			// SSE = Σy² − (Σy)²/n per side; Σy² is the same either way, so
			// the best cut maximises the sum of (Σy)²/n over the two sides.
			base := sum * sum / float64(len(idx))
			nl, sl := 0, 0.0
			for cut := e.lo + 1; cut < e.hi; cut++ {
				nl += cnt[cut-1]
				sl += sums[cut-1]
				nr := len(idx) - nl
				if nl < forestMinLeaf || nr < forestMinLeaf {
					continue
				}
				sr := sum - sl
				if gain := sl*sl/float64(nl) + sr*sr/float64(nr) - base; gain > bestGain {
					bestJ, bestCut, bestGain = j, cut, gain
				}
			}
		}
	}
	if bestJ < 0 {
		b.boxes = append(b.boxes, extent...)
		b.leaves = append(b.leaves, leaf{extent: b.boxes[len(b.boxes)-len(extent):], value: mean})
		return
	}
	k := b.partition(idx, b.bins[bestJ], bestCut)
	e := extent[bestJ]
	extent[bestJ] = box{e.lo, bestCut}
	b.grow(idx[:k], extent, depth+1)
	extent[bestJ] = box{bestCut, e.hi}
	b.grow(idx[k:], extent, depth+1)
	extent[bestJ] = e
}

// mainEffects returns, for a tree given by its leaves, each column's
// main-effect variance over the tree's total variance, under the uniform
// measure over each column's bins; nil for a tree without variance.
//
// With vol(l) the fraction of the space leaf l covers, the tree's mean is
// μ = Σ vol(l)·v(l) and its variance V = Σ vol(l)·(v(l)−μ)². The marginal
// of column j at bin x averages the tree over every other column:
// a_j(x) = Σ over leaves covering x of v(l)·vol(l)/w_j(l), with w_j(l) the
// fraction of column j that l spans; its variance over x is the main effect.
func mainEffects(leaves []leaf, nbins []int) []float64 {
	vol := make([]float64, len(leaves))
	var mu float64
	for i, l := range leaves {
		vol[i] = 1
		for j, e := range l.extent {
			vol[i] *= float64(e.hi-e.lo) / float64(nbins[j])
		}
		mu += vol[i] * l.value
	}
	var total float64
	for i, l := range leaves {
		total += vol[i] * (l.value - mu) * (l.value - mu)
	}
	if total <= 1e-300 {
		return nil
	}
	out := make([]float64, len(nbins))
	for j, k := range nbins {
		diff := make([]float64, k+1)
		for i, l := range leaves {
			e := l.extent[j]
			w := float64(e.hi-e.lo) / float64(k)
			a := l.value * vol[i] / w
			diff[e.lo] += a
			diff[e.hi] -= a
		}
		var a, v float64
		for x := range k {
			a += diff[x]
			v += (a - mu) * (a - mu)
		}
		out[j] = math.Min(v/float64(k)/total, 1)
	}
	return out
}
