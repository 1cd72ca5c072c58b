package athena

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	sdk "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

// API is the part of the Athena client a query uses (*athena.Client has it).
type API interface {
	StartQueryExecution(context.Context, *sdk.StartQueryExecutionInput, ...func(*sdk.Options)) (*sdk.StartQueryExecutionOutput, error)
	GetQueryExecution(context.Context, *sdk.GetQueryExecutionInput, ...func(*sdk.Options)) (*sdk.GetQueryExecutionOutput, error)
	GetQueryResults(context.Context, *sdk.GetQueryResultsInput, ...func(*sdk.Options)) (*sdk.GetQueryResultsOutput, error)
	StopQueryExecution(context.Context, *sdk.StopQueryExecutionInput, ...func(*sdk.Options)) (*sdk.StopQueryExecutionOutput, error)
}

// ClientOptions say how to reach Athena: the standard credential chain (or a profile of the shared
// config files), a region, and an endpoint for tests or private endpoints.
type ClientOptions struct {
	Profile     string
	Region      string
	EndpointURL string
	HTTPClient  *http.Client // nil: the SDK's
}

// NewClient returns an Athena client. It fails early, with what to do, when there is no region or
// no credentials.
func NewClient(ctx context.Context, o ClientOptions) (*sdk.Client, error) {
	lo := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = 5
				so.MaxBackoff = 5 * time.Second
			})
		}),
	}
	if o.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		lo = append(lo, config.WithRegion(o.Region))
	}
	if o.HTTPClient != nil {
		lo = append(lo, config.WithHTTPClient(o.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil && o.Profile != "" && strings.Contains(err.Error(), "failed to get shared config profile") {
		return nil, fmt.Errorf("AWS profile %q not found in the shared config and credentials files (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE)", o.Profile)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region for Athena: give --region, or set AWS_REGION or the profile's region")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		from := "the standard AWS credential chain"
		if o.Profile != "" {
			from = fmt.Sprintf("profile %q", o.Profile)
		}
		return nil, fmt.Errorf("no AWS credentials found in %s: set AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run 'aws sso login', or use an instance or container role", from)
	}
	return sdk.NewFromConfig(cfg, func(so *sdk.Options) {
		if o.EndpointURL != "" {
			so.BaseEndpoint = aws.String(o.EndpointURL)
		}
	}), nil
}

// QueryOptions are one query's text and where Athena runs it.
type QueryOptions struct {
	Query          string
	OutputLocation string // s3://… for the result files; "" when the workgroup sets one
	Workgroup      string // "" is the account's primary workgroup
	Database       string // "" leaves the query to name it (FROM db.table)
	Catalog        string // "" is AwsDataCatalog
	// PollMin and PollMax bound the wait between two looks at the query's state: it starts at
	// PollMin and grows by half each time up to PollMax (250 ms and 5 s when zero).
	PollMin, PollMax time.Duration
	// Emit receives the result, a batch per page of results (up to 1,000 rows), and an empty
	// batch when there is no row, so that a writer knows the columns.
	Emit func(arrow.RecordBatch) error
	// Log, when set, is told of the query's id and of a stop.
	Log func(string)
}

// QueryResult is what Athena says of a query that succeeded.
type QueryResult struct {
	ID           string
	Rows         int64
	Schema       *arrow.Schema
	ScannedBytes int64
	EngineTime   time.Duration
	// Truncated names the timestamp columns whose sub-second parts were dropped (flowlens's
	// timestamps are whole seconds).
	Truncated []string
}

// Run runs o.Query on Athena: StartQueryExecution, then GetQueryExecution with a growing wait
// until the query ends, then GetQueryResults page by page, each page turned into an Arrow batch
// with the column types of the result set's metadata. When ctx ends first, the query is stopped
// (StopQueryExecution) and the error wraps ctx's.
func Run(ctx context.Context, c API, o QueryOptions) (*QueryResult, error) {
	in := &sdk.StartQueryExecutionInput{QueryString: aws.String(o.Query)}
	if o.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(o.OutputLocation)}
	}
	if o.Workgroup != "" {
		in.WorkGroup = aws.String(o.Workgroup)
	}
	if o.Database != "" || o.Catalog != "" {
		in.QueryExecutionContext = &types.QueryExecutionContext{}
		if o.Database != "" {
			in.QueryExecutionContext.Database = aws.String(o.Database)
		}
		if o.Catalog != "" {
			in.QueryExecutionContext.Catalog = aws.String(o.Catalog)
		}
	}
	started, err := c.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("starting the query on Athena%s: %w", where(o), err)
	}
	id := aws.ToString(started.QueryExecutionId)
	if o.Log != nil {
		o.Log("started Athena query " + id)
	}
	stop := func(cause error) error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := c.StopQueryExecution(sctx, &sdk.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
			return fmt.Errorf("Athena query %s: interrupted, and stopping it failed (stop it in the console): %v: %w", id, err, cause)
		}
		if o.Log != nil {
			o.Log("stopped Athena query " + id)
		}
		return fmt.Errorf("Athena query %s stopped: %w", id, cause)
	}
	wait, maxWait := o.PollMin, o.PollMax
	if wait <= 0 {
		wait = 250 * time.Millisecond
	}
	if maxWait <= 0 {
		maxWait = 5 * time.Second
	}
	res := &QueryResult{ID: id}
	var stmtType types.StatementType
	for {
		got, err := c.GetQueryExecution(ctx, &sdk.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if ctx.Err() != nil {
			return nil, stop(ctx.Err())
		}
		if err != nil {
			return nil, fmt.Errorf("Athena query %s: reading its state: %w", id, err)
		}
		qe := got.QueryExecution
		if qe == nil || qe.Status == nil {
			return nil, fmt.Errorf("Athena query %s: GetQueryExecution returned no status", id)
		}
		stmtType = qe.StatementType
		st := qe.Status.State
		if st == types.QueryExecutionStateSucceeded {
			if s := qe.Statistics; s != nil {
				res.ScannedBytes = aws.ToInt64(s.DataScannedInBytes)
				res.EngineTime = time.Duration(aws.ToInt64(s.EngineExecutionTimeInMillis)) * time.Millisecond
			}
			break
		}
		if st == types.QueryExecutionStateFailed || st == types.QueryExecutionStateCancelled {
			why := aws.ToString(qe.Status.StateChangeReason)
			if e := qe.Status.AthenaError; e != nil && why == "" {
				why = aws.ToString(e.ErrorMessage)
			}
			if why == "" {
				why = "Athena gave no reason"
			}
			if st == types.QueryExecutionStateCancelled {
				return nil, fmt.Errorf("Athena query %s was cancelled: %s", id, why)
			}
			return nil, fmt.Errorf("Athena query %s failed: %s\n(query: %s)", id, why, oneLine(o.Query))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, stop(ctx.Err())
		case <-t.C:
		}
		wait = min(wait+wait/2, maxWait)
	}
	var conv *converter
	var token *string
	first := true
	for {
		page, err := c.GetQueryResults(ctx, &sdk.GetQueryResultsInput{QueryExecutionId: aws.String(id), NextToken: token, MaxResults: aws.Int32(1000)})
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("Athena query %s: reading its results: %w", id, ctx.Err())
			}
			return nil, fmt.Errorf("Athena query %s: reading its results (page after %d rows): %w", id, res.Rows, err)
		}
		if page.ResultSet == nil {
			return nil, fmt.Errorf("Athena query %s: GetQueryResults returned no result set", id)
		}
		rows := page.ResultSet.Rows
		if conv == nil {
			md := page.ResultSet.ResultSetMetadata
			if md == nil || len(md.ColumnInfo) == 0 {
				if stmtType != types.StatementTypeDml && len(rows) == 0 {
					return res, nil // a DDL statement (CREATE TABLE, ALTER TABLE) without a result
				}
				return nil, fmt.Errorf("Athena query %s: the results have no column metadata", id)
			}
			if conv, err = newConverter(md.ColumnInfo); err != nil {
				return nil, fmt.Errorf("Athena query %s: %w", id, err)
			}
			res.Schema = conv.schema
		}
		// A SELECT's first row holds the column names.
		if first && stmtType == types.StatementTypeDml && len(rows) > 0 && conv.isHeader(rows[0]) {
			rows = rows[1:]
		}
		first = false
		if len(rows) > 0 || (page.NextToken == nil && res.Rows == 0) {
			rec, err := conv.batch(rows, res.Rows)
			if err != nil {
				return nil, fmt.Errorf("Athena query %s: %w", id, err)
			}
			res.Rows += rec.NumRows()
			if o.Emit != nil {
				err = o.Emit(rec)
			}
			rec.Release()
			if err != nil {
				return nil, err
			}
		}
		if page.NextToken == nil || aws.ToString(page.NextToken) == "" {
			break
		}
		token = page.NextToken
	}
	res.Truncated = conv.truncatedColumns()
	return res, nil
}

func where(o QueryOptions) string {
	var p []string
	if o.Workgroup != "" {
		p = append(p, "workgroup "+o.Workgroup)
	}
	if o.OutputLocation != "" {
		p = append(p, "output location "+o.OutputLocation)
	}
	if len(p) == 0 {
		return ""
	}
	return " (" + strings.Join(p, ", ") + ")"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// converter turns pages of Athena's text values into Arrow batches of the result set's types.
type converter struct {
	schema    *arrow.Schema
	names     []string
	kinds     []colKind
	truncated []bool
}

type colKind int

const (
	kString colKind = iota
	kInt32
	kInt64
	kFloat
	kBool
	kTime
)

// resultType is the Arrow type flowlens gives a column of Athena's result type: integers as int32
// (tinyint, smallint, integer) or int64 (bigint), real, float and double as float64, boolean,
// timestamp as a timestamp of seconds (as flowlens's own), and every other type (varchar, date,
// decimal, arrays, maps, rows, …) as the text Athena gives.
func resultType(athenaType string) (arrow.DataType, colKind) {
	switch strings.ToLower(strings.TrimSpace(athenaType)) {
	case "tinyint", "smallint", "integer", "int":
		return arrow.PrimitiveTypes.Int32, kInt32
	case "bigint":
		return arrow.PrimitiveTypes.Int64, kInt64
	case "double", "float", "real":
		return arrow.PrimitiveTypes.Float64, kFloat
	case "boolean":
		return arrow.FixedWidthTypes.Boolean, kBool
	case "timestamp":
		return &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}, kTime
	}
	return arrow.BinaryTypes.String, kString
}

func newConverter(cols []types.ColumnInfo) (*converter, error) {
	if len(cols) == 0 {
		return nil, errors.New("the results have no column")
	}
	c := &converter{truncated: make([]bool, len(cols))}
	fields := make([]arrow.Field, len(cols))
	for i, ci := range cols {
		name := aws.ToString(ci.Label)
		if name == "" {
			name = aws.ToString(ci.Name)
		}
		t, k := resultType(aws.ToString(ci.Type))
		fields[i] = arrow.Field{Name: name, Type: t, Nullable: true}
		c.names = append(c.names, name)
		c.kinds = append(c.kinds, k)
	}
	c.schema = arrow.NewSchema(fields, nil)
	return c, nil
}

func (c *converter) isHeader(r types.Row) bool {
	if len(r.Data) != len(c.names) {
		return false
	}
	for i, d := range r.Data {
		if aws.ToString(d.VarCharValue) != c.names[i] {
			return false
		}
	}
	return true
}

func (c *converter) truncatedColumns() []string {
	var out []string
	for i, t := range c.truncated {
		if t {
			out = append(out, c.names[i])
		}
	}
	return out
}

// batch converts rows; before is the number of rows converted already (for messages).
func (c *converter) batch(rows []types.Row, before int64) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, c.schema)
	defer b.Release()
	for r, row := range rows {
		if len(row.Data) != len(c.kinds) {
			return nil, fmt.Errorf("result row %d has %d values for %d columns", before+int64(r)+1, len(row.Data), len(c.kinds))
		}
		for i, d := range row.Data {
			fb := b.Field(i)
			if d.VarCharValue == nil {
				fb.AppendNull()
				continue
			}
			s := *d.VarCharValue
			bad := func(err error) error {
				return fmt.Errorf("result row %d, column %s (%s): %q: %v", before+int64(r)+1, c.names[i], c.schema.Field(i).Type, s, err)
			}
			switch c.kinds[i] {
			case kInt32:
				v, err := strconv.ParseInt(s, 10, 32)
				if err != nil {
					return nil, bad(err)
				}
				fb.(*array.Int32Builder).Append(int32(v))
			case kInt64:
				v, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return nil, bad(err)
				}
				fb.(*array.Int64Builder).Append(v)
			case kFloat:
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return nil, bad(err)
				}
				fb.(*array.Float64Builder).Append(v)
			case kBool:
				v, err := strconv.ParseBool(s)
				if err != nil {
					return nil, bad(err)
				}
				fb.(*array.BooleanBuilder).Append(v)
			case kTime:
				t, err := time.Parse("2006-01-02 15:04:05.999999999", s)
				if err != nil {
					return nil, bad(err)
				}
				if t.Nanosecond() != 0 {
					c.truncated[i] = true
				}
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(t.Unix()))
			default:
				fb.(*array.StringBuilder).Append(s)
			}
		}
	}
	return b.NewRecordBatch(), nil
}
