package plugins

import "fmt"

// Get returns the hyperparameter name from p as a T, which must be the Go
// type its ParamType names (float64, int64, string, bool, []int64 or
// []float64). A missing value or one of another type is an error naming the
// hyperparameter; it is the model's way to refuse a request rather than
// panic on a type assertion.
func Get[T any](p Params, name string) (T, error) {
	var zero T
	v, ok := p[name]
	if !ok {
		return zero, fmt.Errorf("hyperparameter %q is missing", name)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("hyperparameter %q is a %T, want %T", name, v, zero)
	}
	return t, nil
}
