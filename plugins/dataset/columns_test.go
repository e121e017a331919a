package dataset

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestReadColumns(t *testing.T) {
	const good = "\ufeffdate, b ,a,extra\n2024-01-02,1.5,2,x\n2024-01-03,-3,4e1,\n"
	c, err := readColumns(context.Background(), "new.csv", strings.NewReader(good), []string{"a", "b"}, []string{"date"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Columns{Rows: 2, X: []float64{2, 1.5, 40, -3}, Text: [][]string{{"2024-01-02", "2024-01-03"}}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
	for _, tc := range []struct{ name, csv, err string }{
		{"empty", "", `new.csv: empty file: want a header row naming the columns`},
		{"missing feature", "date,a,c\n1,2,3\n", `new.csv: line 1: no feature column "b" in the header (columns: date, a, c)`},
		{"missing kept", "a,b\n1,2\n", `new.csv: line 1: no kept column "date" in the header (columns: a, b)`},
		{"duplicate", "a,b,a\n1,2,3\n", `new.csv: line 1: column "a" appears twice in the header`},
		{"not a number", "date,a,b\nd1,1,2\nd2,3,x\n", `new.csv: line 3 (row 2), column "b": "x" is not a number`},
		{"empty cell", "date,a,b\nd1,,2\n", `new.csv: line 2 (row 1), column "a": empty cell, want a number`},
		{"NaN", "date,a,b\nd1,1,NaN\n", `new.csv: line 2 (row 1), column "b": "NaN" is not a finite number`},
		{"short record", "date,a,b\nd1,1\n", `new.csv: line 2, column 1: wrong number of fields`},
	} {
		_, err := readColumns(context.Background(), "new.csv", strings.NewReader(tc.csv), []string{"a", "b"}, []string{"date"})
		if err == nil || err.Error() != tc.err {
			t.Errorf("%s: error %v\nwant %s", tc.name, err, tc.err)
		}
	}
}
