package athena

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// TestAthenaType: each Parquet physical type, with its logical or converted annotation, gets the
// Athena type that reads it without loss (the expected values are Athena's DDL names: INT32 is
// int and INT64 bigint, never the other; an unsigned annotation takes the next wider signed type),
// or an error that says why there is none.
func TestAthenaType(t *testing.T) {
	elem := func(pt format.Type, lt format.LogicalTypeValue) format.SchemaElement {
		return format.SchemaElement{Name: "c", Type: thrift.New(pt), LogicalType: format.LogicalType{Value: lt}}
	}
	conv := func(pt format.Type, ct deprecated.ConvertedType) format.SchemaElement {
		e := elem(pt, nil)
		e.ConvertedType = thrift.New(ct)
		return e
	}
	dec := conv(format.FixedLenByteArray, deprecated.Decimal)
	dec.Precision, dec.Scale = thrift.New[int32](12), thrift.New[int32](2)
	cases := []struct {
		e       format.SchemaElement
		want    string // Athena type, or the start of the error
		parquet string
	}{
		{elem(format.Boolean, nil), "boolean", "BOOLEAN"},
		{elem(format.Int32, nil), "int", "INT32"},
		{elem(format.Int32, &format.IntType{BitWidth: 32, IsSigned: true}), "int", "INT32 INT(32,true)"},
		{elem(format.Int32, &format.IntType{BitWidth: 8, IsSigned: true}), "tinyint", "INT32 INT(8,true)"},
		{elem(format.Int32, &format.IntType{BitWidth: 16, IsSigned: true}), "smallint", "INT32 INT(16,true)"},
		{elem(format.Int32, &format.IntType{BitWidth: 8, IsSigned: false}), "smallint", "INT32 INT(8,false)"},
		{elem(format.Int32, &format.IntType{BitWidth: 16, IsSigned: false}), "int", "INT32 INT(16,false)"},
		{elem(format.Int32, &format.IntType{BitWidth: 32, IsSigned: false}), "bigint", "INT32 INT(32,false)"},
		{conv(format.Int32, deprecated.Uint16), "int", "INT32 UINT_16"},
		{conv(format.Int32, deprecated.Uint8), "smallint", "INT32 UINT_8"},
		{conv(format.Int32, deprecated.Int16), "smallint", "INT32 INT_16"},
		{elem(format.Int32, &format.DateType{}), "date", "INT32 DATE"},
		{elem(format.Int64, nil), "bigint", "INT64"},
		{elem(format.Int64, &format.IntType{BitWidth: 64, IsSigned: true}), "bigint", "INT64 INT(64,true)"},
		{elem(format.Int64, &format.IntType{BitWidth: 64, IsSigned: false}), "error: unsigned 64-bit", "INT64 INT(64,false)"},
		{conv(format.Int64, deprecated.Uint64), "error: unsigned 64-bit", "INT64 UINT_64"},
		{elem(format.Int64, &format.TimestampType{IsAdjustedToUTC: true, Unit: format.TimeUnit{Value: &format.MilliSeconds{}}}), "timestamp", "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)"},
		{elem(format.Int64, &format.TimestampType{Unit: format.TimeUnit{Value: &format.NanoSeconds{}}}), "error: nanosecond", "INT64 TIMESTAMP(isAdjustedToUTC=false,unit=NANOS)"},
		{elem(format.Int64, &format.DecimalType{Precision: 18, Scale: 4}), "decimal(18,4)", "INT64 DECIMAL(18,4)"},
		{elem(format.Int96, nil), "timestamp", "INT96"},
		{elem(format.Float, nil), "float", "FLOAT"},
		{elem(format.Double, nil), "double", "DOUBLE"},
		{elem(format.ByteArray, &format.StringType{}), "string", "BYTE_ARRAY STRING"},
		{conv(format.ByteArray, deprecated.UTF8), "string", "BYTE_ARRAY UTF8"},
		{elem(format.ByteArray, &format.EnumType{}), "string", "BYTE_ARRAY ENUM"},
		{elem(format.ByteArray, nil), "binary", "BYTE_ARRAY"},
		{dec, "decimal(12,2)", "FIXED_LEN_BYTE_ARRAY DECIMAL"},
		{elem(format.FixedLenByteArray, &format.UUIDType{}), "error: FIXED_LEN_BYTE_ARRAY annotated UUID", "FIXED_LEN_BYTE_ARRAY UUID"},
		{format.SchemaElement{Name: "g", NumChildren: thrift.New[int32](2)}, "error: a nested column", "group"},
	}
	for _, c := range cases {
		got, desc, err := AthenaType(c.e)
		if err != nil {
			got = "error: " + err.Error()
		}
		if !strings.HasPrefix(got, c.want) || desc != c.parquet {
			t.Errorf("%s: got %q (%s), want %q (%s)", c.parquet, got, desc, c.want, c.parquet)
		}
	}
}

// writeParquet writes rows of T as one Parquet file at dir/rel.
func writeParquet[T any](t *testing.T, dir, rel string, rows []T) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(p), 0o755)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

type narrow struct {
	Dstport int32  `parquet:"dstport,optional"`
	Action  string `parquet:"action,optional"`
}

type wide struct {
	Dstport int64  `parquet:"dstport,optional"`
	Action  string `parquet:"action,optional"`
}

// TestReadDatasetRefuses: files that disagree on a column's type, or on the partition folders,
// are refused with both files named; so are a file outside partition folders and an empty dataset.
func TestReadDatasetRefuses(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, dir, "year=2026/month=11/day=01/a.parquet", []narrow{{443, "ACCEPT"}})
	writeParquet(t, dir, "year=2026/month=11/day=02/b.parquet", []wide{{22, "REJECT"}})
	_, err := ReadDataset(dir)
	if err == nil || !strings.Contains(err.Error(), `the files disagree on column "dstport": year=2026/month=11/day=01/a.parquet has INT32 INT(32,true) (Athena int), year=2026/month=11/day=02/b.parquet has INT64 INT(64,true) (Athena bigint)`) {
		t.Errorf("types: %v", err)
	}

	dir = t.TempDir()
	writeParquet(t, dir, "year=2026/month=11/day=01/a.parquet", []narrow{{443, "ACCEPT"}})
	writeParquet(t, dir, "region=us-east-1/year=2026/month=11/day=01/b.parquet", []narrow{{22, "REJECT"}})
	if _, err := ReadDataset(dir); err == nil || !strings.Contains(err.Error(), "disagree on the partition folders") ||
		!strings.Contains(err.Error(), "region/year/month/day") {
		t.Errorf("partitions: %v", err)
	}

	dir = t.TempDir()
	writeParquet(t, dir, "2026/a.parquet", []narrow{{443, "ACCEPT"}})
	if _, err := ReadDataset(dir); err == nil || !strings.Contains(err.Error(), `folder "2026" is not a Hive partition`) {
		t.Errorf("folder: %v", err)
	}
	if _, err := ReadDataset(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no Parquet file") {
		t.Errorf("empty: %v", err)
	}
}

// TestDDLOptions: the table and location are checked; --injected and --years change the
// projection; a dataset without partition folders has no projection.
func TestDDLOptions(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, dir, "account_id=123456789012/region=us-east-1/year=2025/month=12/day=31/a.parquet", []narrow{{443, "ACCEPT"}})
	writeParquet(t, dir, "account_id=__HIVE_DEFAULT_PARTITION__/region=us-east-1/year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__/day=__HIVE_DEFAULT_PARTITION__/b.parquet", []narrow{{22, "REJECT"}})
	d, err := ReadDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []DDLOptions{{Table: "a-b", Location: "s3://x/"}, {Table: "t", Location: "/data"}, {Table: "t", Location: "s3://"},
		{Table: "t", Location: "s3://x/", Injected: []string{"vpc_id"}}, {Table: "t", Location: "s3://x/", Injected: []string{"year"}}} {
		if _, _, err := d.DDL(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	ddl, notes, err := d.DDL(DDLOptions{Table: "logs.flows", Location: "s3://b/p", Injected: []string{"account_id"}, Years: [2]int{2026, 2030}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE EXTERNAL TABLE IF NOT EXISTS `logs`.`flows` (\n  `dstport` int,\n  `action` string\n)",
		"'projection.account_id.type'='injected'", "'projection.region.values'='us-east-1'", "'projection.year.range'='2026,2030'",
		"LOCATION 's3://b/p/'", "'storage.location.template'='s3://b/p/account_id=${account_id}/region=${region}/year=${year}/month=${month}/day=${day}/'"} {
		if !strings.Contains(ddl, want) {
			t.Errorf("no %q in\n%s", want, ddl)
		}
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "years 2025 to 2025, outside --years 2026,2030") || !strings.Contains(notes[1], "1 files lie under __HIVE_DEFAULT_PARTITION__") {
		t.Errorf("notes: %q", notes)
	}

	flat := t.TempDir()
	writeParquet(t, flat, "a.parquet", []narrow{{443, "ACCEPT"}})
	d, err = ReadDataset(flat)
	if err != nil {
		t.Fatal(err)
	}
	ddl, _, err = d.DDL(DDLOptions{Table: "t", Location: "s3://b/p/"})
	if err != nil || strings.Contains(ddl, "PARTITIONED") || strings.Contains(ddl, "TBLPROPERTIES") {
		t.Errorf("flat: %v\n%s", err, ddl)
	}
}
