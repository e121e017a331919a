package results

import (
	"fmt"
	"math"
)

// The type names of hyperparameter values in trial.json's param_types, as
// model plugins declare them.
const (
	typeInt       = "int"
	typeFloat     = "float"
	typeString    = "string"
	typeBool      = "bool"
	typeIntList   = "int_list"
	typeFloatList = "float_list"
)

// paramTypes names the type of each hyperparameter value, so that a record
// read back gives every value its Go type again: JSON has one number type,
// so 3 and 3.0 would otherwise both come back as float64, and a list as
// []any. Values of other types are left out.
func paramTypes(params map[string]any) map[string]string {
	if len(params) == 0 {
		return nil
	}
	out := make(map[string]string, len(params))
	for k, v := range params {
		switch v.(type) {
		case int64:
			out[k] = typeInt
		case float64:
			out[k] = typeFloat
		case string:
			out[k] = typeString
		case bool:
			out[k] = typeBool
		case []int64:
			out[k] = typeIntList
		case []float64:
			out[k] = typeFloatList
		}
	}
	return out
}

// restoreTypes converts the values of params, as JSON decoded them, to the
// Go types that types names. A value types does not name (a record written
// before records kept types, or a value of no declared type) gets the type
// its JSON suggests (see guessTypes).
func restoreTypes(params map[string]any, types map[string]string) error {
	guessTypes(params, types)
	for k, typ := range types {
		v, ok := params[k]
		if !ok {
			return fmt.Errorf("key %q: param_types names %q, which params lacks", "param_types", k)
		}
		cv, err := typed(v, typ)
		if err != nil {
			return fmt.Errorf("key %q: %s: %v", "params", k, err)
		}
		params[k] = cv
	}
	return nil
}

func typed(v any, typ string) (any, error) {
	switch typ {
	case typeInt:
		return wholeNumber(v)
	case typeFloat:
		if x, ok := v.(float64); ok {
			return x, nil
		}
	case typeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case typeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case typeIntList, typeFloatList:
		list, ok := v.([]any)
		if !ok {
			break
		}
		if typ == typeFloatList {
			out := make([]float64, len(list))
			for i, e := range list {
				x, ok := e.(float64)
				if !ok {
					return nil, fmt.Errorf("element %d is %v, not a number", i, e)
				}
				out[i] = x
			}
			return out, nil
		}
		out := make([]int64, len(list))
		for i, e := range list {
			n, err := wholeNumber(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %v", i, err)
			}
			out[i] = n.(int64)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unknown type %q (want one of %q)", typ, []string{typeInt, typeFloat, typeString, typeBool, typeIntList, typeFloatList})
	}
	return nil, fmt.Errorf("%v is not of type %s", v, typ)
}

// wholeNumber converts a JSON number that holds an integer exactly.
func wholeNumber(v any) (any, error) {
	x, ok := v.(float64)
	if !ok || x != math.Trunc(x) || math.Abs(x) >= 1<<63 {
		return nil, fmt.Errorf("%v is not an integer", v)
	}
	return int64(x), nil
}

// guessTypes types the values that types does not name, as the JSON reads:
// a whole number is an int64 (as such a record was shown before: "0", not
// "0.0"), another number a float64, a list of whole numbers an []int64 and
// one of other numbers an []float64.
func guessTypes(params map[string]any, types map[string]string) {
	for k, v := range params {
		if _, typed := types[k]; typed {
			continue
		}
		switch v := v.(type) {
		case float64:
			if n, err := wholeNumber(v); err == nil {
				params[k] = n
			}
		case []any:
			if ints, err := typed(v, typeIntList); err == nil {
				params[k] = ints
			} else if floats, err := typed(v, typeFloatList); err == nil {
				params[k] = floats
			}
		}
	}
}
