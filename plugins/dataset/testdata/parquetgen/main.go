// Command parquetgen writes the Parquet files that plugins/dataset's tests
// read, with Apache Arrow's Go implementation (arrow-go), so that the reader
// (parquet-go) is tested on files another implementation wrote. Run it in
// this directory: go run . (it has its own go.mod, so that arrow-go is no
// dependency of sweep).
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// rows is the number of rows; row i holds, by column: date 2024-01-(1+i/2)
// (two assets a day), asset "a<i%2>", x_double i/2, x_float i/4 (float32),
// x_int32 i%7, x_int64 1000i, x_nullable 1.5i or null when i%5 == 0, and
// target 0.1i + 1.
const rows = 30

func main() {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "date", Type: arrow.BinaryTypes.String},
		{Name: "asset", Type: arrow.BinaryTypes.String},
		{Name: "x_double", Type: arrow.PrimitiveTypes.Float64},
		{Name: "x_float", Type: arrow.PrimitiveTypes.Float32},
		{Name: "x_int32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "x_int64", Type: arrow.PrimitiveTypes.Int64},
		{Name: "x_nullable", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "target", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range rows {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("2024-01-%02d", 1+i/2))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("a%d", i%2))
		b.Field(2).(*array.Float64Builder).Append(float64(i) / 2)
		b.Field(3).(*array.Float32Builder).Append(float32(i) / 4)
		b.Field(4).(*array.Int32Builder).Append(int32(i % 7))
		b.Field(5).(*array.Int64Builder).Append(int64(1000 * i))
		if i%5 == 0 {
			b.Field(6).(*array.Float64Builder).AppendNull()
		} else {
			b.Field(6).(*array.Float64Builder).Append(1.5 * float64(i))
		}
		b.Field(7).(*array.Float64Builder).Append(0.1*float64(i) + 1)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create("../panel.parquet")
	if err != nil {
		log.Fatal(err)
	}
	// Three row groups of 10 rows, every column dictionary-encoded (the
	// writer's default), snappy-compressed.
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(10), parquet.WithDictionaryDefault(true),
		parquet.WithCompression(compress.Codecs.Snappy))
	w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.DefaultWriterProps())
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
}
