package plugins

import (
	"math"
	"reflect"
	"testing"

	pb "github.com/sweep-ml/sweep/plugins/proto"
)

func TestConstraintsCheck(t *testing.T) {
	unit := Constraints{Min: AtLeast(0), Max: Beyond(1)}
	widths := Constraints{Min: AtLeast(1), MinLen: 1, MaxLen: 3}
	for _, c := range []struct {
		name string
		c    Constraints
		v    any
		want string // "" for allowed
	}{
		{"dropout", unit, 0.0, ""},
		{"dropout", unit, 0.999, ""},
		{"dropout", unit, 1.0, "1 is out of range: dropout must be in [0, 1)"},
		{"dropout", unit, 1.5, "1.5 is out of range: dropout must be in [0, 1)"},
		{"dropout", unit, -0.1, "-0.1 is out of range: dropout must be in [0, 1)"},
		{"dropout", unit, math.NaN(), "NaN is out of range: dropout must be in [0, 1)"},
		{"lr", Constraints{Min: Beyond(0)}, 0.0, "0 is out of range: lr must be > 0"},
		{"lr", Constraints{Min: Beyond(0)}, 1e-9, ""},
		{"epochs", Constraints{Min: AtLeast(1)}, int64(0), "0 is out of range: epochs must be ≥ 1"},
		{"epochs", Constraints{Min: AtLeast(1)}, int64(1), ""},
		{"k", Constraints{Max: AtLeast(10)}, int64(11), "11 is out of range: k must be ≤ 10"},
		{"k", Constraints{Max: Beyond(10)}, 10.0, "10 is out of range: k must be < 10"},
		{"act", Constraints{Choices: []string{"relu", "tanh"}}, "relu", ""},
		{"act", Constraints{Choices: []string{"relu", "tanh"}}, "sigmoid", `"sigmoid" is not allowed: act must be one of relu, tanh`},
		{"hidden_dims", widths, []int64{64, 32}, ""},
		{"hidden_dims", widths, []int64{64, 0}, "element 1: 0 is out of range: the elements of hidden_dims must be ≥ 1"},
		{"hidden_dims", widths, []int64{}, "0 elements are not allowed: hidden_dims takes 1 to 3 elements"},
		{"hidden_dims", widths, []int64{1, 2, 3, 4}, "4 elements are not allowed: hidden_dims takes 1 to 3 elements"},
		{"w", Constraints{Max: AtLeast(1)}, []float64{0.5, 2}, "element 1: 2 is out of range: the elements of w must be ≤ 1"},
		{"w", Constraints{MaxLen: 1}, []float64{0.5, 2}, "2 elements are not allowed: w takes at most 1 element"},
		{"x", Constraints{}, 1e300, ""}, // no constraints: anything of the type
		{"b", unit, true, ""},           // a type the constraints do not cover
	} {
		err := c.c.Check(c.name, c.v)
		if got := errString(err); got != c.want {
			t.Errorf("%s = %v: got %q, want %q", c.name, c.v, got, c.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestConstraintsDescribe(t *testing.T) {
	for _, c := range []struct {
		c    Constraints
		t    ParamType
		want string
	}{
		{Constraints{}, TypeFloat, ""},
		{Constraints{Min: AtLeast(0), Max: AtLeast(1)}, TypeFloat, "in [0, 1]"},
		{Constraints{Min: Beyond(0), Max: Beyond(1)}, TypeFloat, "in (0, 1)"},
		{Constraints{Min: Beyond(0)}, TypeFloat, "> 0"},
		{Constraints{Max: AtLeast(1e6)}, TypeInt, "≤ 1e+06"},
		{Constraints{Choices: []string{"a", "b"}}, TypeString, "one of a, b"},
		{Constraints{MinLen: 2, MaxLen: 2}, TypeFloatList, "exactly 2 elements"},
		{Constraints{MinLen: 1}, TypeIntList, "at least 1 element"},
		{Constraints{Min: AtLeast(1)}, TypeIntList, "each ≥ 1"},
		{Constraints{MinLen: 1, MaxLen: 4, Min: AtLeast(1)}, TypeIntList, "1 to 4 elements, each ≥ 1"},
	} {
		if got := c.c.Describe(c.t); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.c, got, c.want)
		}
	}
}

func TestConstraintsValidate(t *testing.T) {
	for _, c := range []struct {
		c    Constraints
		t    ParamType
		want string
	}{
		{Constraints{Min: AtLeast(0)}, TypeFloat, ""},
		{Constraints{Min: AtLeast(0)}, TypeIntList, ""},
		{Constraints{Choices: []string{"a"}}, TypeString, ""},
		{Constraints{Min: AtLeast(0)}, TypeString, "a string cannot have a minimum or maximum"},
		{Constraints{Max: AtLeast(0)}, TypeBool, "a bool cannot have a minimum or maximum"},
		{Constraints{Choices: []string{"a"}}, TypeInt, "a int cannot have choices (only a string can)"},
		{Constraints{MaxLen: 2}, TypeFloat, "a float has no length"},
		{Constraints{MinLen: 3, MaxLen: 2}, TypeIntList, "lengths 3 to 2 allow no list"},
		{Constraints{Min: AtLeast(1), Max: AtLeast(0)}, TypeFloat, "the range in [1, 0] allows no value"},
		{Constraints{Min: Beyond(1), Max: AtLeast(1)}, TypeFloat, "the range in (1, 1] allows no value"},
	} {
		if got := errString(c.c.Validate(c.t)); got != c.want {
			t.Errorf("%+v on %s: got %q, want %q", c.c, c.t, got, c.want)
		}
	}
}

// TestConstraintsCrossTheWire checks that every field survives the protobuf
// encoding, and that no constraints stay none rather than becoming a zero
// range.
func TestConstraintsCrossTheWire(t *testing.T) {
	for _, c := range []Constraints{
		{},
		{Min: AtLeast(0), Max: Beyond(1)},
		{Min: Beyond(-2.5)},
		{Choices: []string{"relu", "tanh"}},
		{Min: AtLeast(1), MinLen: 1, MaxLen: 8},
	} {
		d := Description{Name: "m", Version: "v2",
			Params: []ParamSpec{{Name: "p", Type: TypeFloat, Constraints: c}}}
		msg, err := describeToProto(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := describeFromProto(roundTrip(t, msg, &pb.Description{}))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Errorf("%+v came back as %+v", d, got)
		}
	}
}
