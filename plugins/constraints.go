package plugins

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Constraints restrict the values of a hyperparameter. The zero value
// accepts every value of the parameter's type. For a list type, Min, Max
// and Choices apply to each element and MinLen/MaxLen to the length.
type Constraints struct {
	Min, Max *Bound   // nil: no bound on that side
	Choices  []string // for a string: the allowed values
	MinLen   int      // for a list: the fewest elements allowed
	MaxLen   int      // for a list: the most elements allowed; 0 is no bound
}

// Bound is one end of a numeric range.
type Bound struct {
	Value     float64 `json:"value"`
	Exclusive bool    `json:"exclusive"`
}

// AtLeast returns the inclusive bound x (for Min, ≥ x; for Max, ≤ x).
func AtLeast(x float64) *Bound { return &Bound{Value: x} }

// Beyond returns the exclusive bound x (for Min, > x; for Max, < x).
func Beyond(x float64) *Bound { return &Bound{Value: x, Exclusive: true} }

// IsZero reports whether c accepts every value.
func (c Constraints) IsZero() bool {
	return c.Min == nil && c.Max == nil && len(c.Choices) == 0 && c.MinLen == 0 && c.MaxLen == 0
}

// Describe says in words which values of type t c accepts, e.g.
// "in [0, 1)", "> 0", "one of relu, tanh" or, for a list, "1 to 8
// elements, each ≥ 1"; "" for the zero value.
func (c Constraints) Describe(t ParamType) string {
	var parts []string
	if n := c.lengths(); n != "" {
		parts = append(parts, n)
	}
	if v := c.values(); v != "" {
		if t == TypeIntList || t == TypeFloatList {
			v = "each " + v
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ", ")
}

// values describes the allowed values (of each element, for a list).
func (c Constraints) values() string {
	switch {
	case len(c.Choices) > 0:
		return "one of " + strings.Join(c.Choices, ", ")
	case c.Min != nil && c.Max != nil:
		open, shut := "[", "]"
		if c.Min.Exclusive {
			open = "("
		}
		if c.Max.Exclusive {
			shut = ")"
		}
		return "in " + open + formatBound(c.Min.Value) + ", " + formatBound(c.Max.Value) + shut
	case c.Min != nil:
		return pick(c.Min.Exclusive, "> ", "≥ ") + formatBound(c.Min.Value)
	case c.Max != nil:
		return pick(c.Max.Exclusive, "< ", "≤ ") + formatBound(c.Max.Value)
	}
	return ""
}

// lengths describes the allowed list lengths.
func (c Constraints) lengths() string {
	switch {
	case c.MaxLen > 0 && c.MinLen == c.MaxLen:
		return "exactly " + elements(c.MinLen)
	case c.MaxLen > 0 && c.MinLen == 0:
		return "at most " + elements(c.MaxLen)
	case c.MaxLen > 0:
		return fmt.Sprintf("%d to %s", c.MinLen, elements(c.MaxLen))
	case c.MinLen > 0:
		return "at least " + elements(c.MinLen)
	}
	return ""
}

func elements(n int) string {
	if n == 1 {
		return "1 element"
	}
	return strconv.Itoa(n) + " elements"
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

func formatBound(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Check returns an error if v, a value of one of the Go types that Params
// documents, breaks c. The error starts with the offending value and ends
// with the rule for name, e.g. "1.5 is out of range: dropout must be in
// [0, 1)". A value of a type c does not constrain passes.
func (c Constraints) Check(name string, v any) error {
	scalar := func() string { return name + " must be " + c.values() }
	element := func() string { return "the elements of " + name + " must be " + c.values() }
	switch x := v.(type) {
	case float64:
		return c.checkNumber(x, formatBound(x), scalar)
	case int64:
		return c.checkNumber(float64(x), strconv.FormatInt(x, 10), scalar)
	case string:
		if len(c.Choices) > 0 && !slices.Contains(c.Choices, x) {
			return fmt.Errorf("%q is not allowed: %s", x, scalar())
		}
	case []int64:
		return c.checkList(name, len(x), func(i int) error {
			return c.checkNumber(float64(x[i]), strconv.FormatInt(x[i], 10), element)
		})
	case []float64:
		return c.checkList(name, len(x), func(i int) error {
			return c.checkNumber(x[i], formatBound(x[i]), element)
		})
	}
	return nil
}

func (c Constraints) checkNumber(x float64, text string, rule func() string) error {
	if c.Min == nil && c.Max == nil {
		return nil
	}
	low := c.Min != nil && (x < c.Min.Value || c.Min.Exclusive && x == c.Min.Value)
	high := c.Max != nil && (x > c.Max.Value || c.Max.Exclusive && x == c.Max.Value)
	if low || high || math.IsNaN(x) {
		return fmt.Errorf("%s is out of range: %s", text, rule())
	}
	return nil
}

// checkList checks a list's length, then each element i with element.
func (c Constraints) checkList(name string, n int, element func(i int) error) error {
	if n < c.MinLen || c.MaxLen > 0 && n > c.MaxLen {
		return fmt.Errorf("%s are not allowed: %s takes %s", elements(n), name, c.lengths())
	}
	for i := range n {
		if err := element(i); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

// Validate reports a constraint that cannot apply to type t or that no value
// can meet: a model's bug, reported when it describes itself.
func (c Constraints) Validate(t ParamType) error {
	numeric := t == TypeFloat || t == TypeInt || t == TypeIntList || t == TypeFloatList
	list := t == TypeIntList || t == TypeFloatList
	switch {
	case (c.Min != nil || c.Max != nil) && !numeric:
		return fmt.Errorf("a %s cannot have a minimum or maximum", t)
	case len(c.Choices) > 0 && t != TypeString:
		return fmt.Errorf("a %s cannot have choices (only a string can)", t)
	case (c.MinLen != 0 || c.MaxLen != 0) && !list:
		return fmt.Errorf("a %s has no length", t)
	case c.MinLen < 0 || c.MaxLen < 0 || c.MaxLen > 0 && c.MaxLen < c.MinLen:
		return fmt.Errorf("lengths %d to %d allow no list", c.MinLen, c.MaxLen)
	case c.Min != nil && c.Max != nil && (c.Min.Value > c.Max.Value ||
		c.Min.Value == c.Max.Value && (c.Min.Exclusive || c.Max.Exclusive)):
		return fmt.Errorf("the range %s allows no value", c.values())
	}
	return nil
}
