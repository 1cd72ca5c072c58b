package flowlog

import (
	"fmt"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind says how a field's text is parsed and which Arrow type holds it.
type Kind uint8

const (
	// KindString is any text; it is dictionary-encoded (int32 indices into the batch's distinct values).
	KindString Kind = iota
	// KindAddr is an IPv4 or IPv6 address, held as 16 bytes (IPv4 as the IPv4-mapped IPv6 address ::ffff:a.b.c.d).
	KindAddr
	// KindPort is a TCP/UDP port, 0–65535.
	KindPort
	// KindProto is an IANA protocol number, 0–255.
	KindProto
	// KindInt32 is a small integer (version, tcp-flags, traffic-path, encryption-status).
	KindInt32
	// KindInt64 is a counter (packets, bytes, packets-lost-*).
	KindInt64
	// KindTime is a Unix time in seconds; millisecond values are divided by 1000 and counted.
	KindTime
)

// AddrType is the Arrow type of address columns: 16 bytes, network order, IPv4 mapped as ::ffff:a.b.c.d.
var AddrType = &arrow.FixedSizeBinaryType{ByteWidth: 16}

// StringType is the Arrow type of string columns.
var StringType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// ArrowType returns the Arrow data type used for columns of kind k.
func (k Kind) ArrowType() arrow.DataType {
	switch k {
	case KindAddr:
		return AddrType
	case KindPort:
		return arrow.PrimitiveTypes.Uint16
	case KindProto:
		return arrow.PrimitiveTypes.Uint8
	case KindInt32:
		return arrow.PrimitiveTypes.Int32
	case KindInt64, KindTime:
		return arrow.PrimitiveTypes.Int64
	default:
		return StringType
	}
}

// Field describes one flow-log field.
type Field struct {
	Name    string // AWS name, as in a header and in ${...}: "log-status"
	Column  string // column name, as Athena and Parquet name it: "log_status"
	Version int    // flow-log version that introduced it; 6 for the Transit Gateway layout
	Kind    Kind
	Doc     string
}

// Fields lists every field of versions 2–11 in the order of the AWS documentation, then the fields
// that only the Transit Gateway layout has. The index of a field here is its FieldID.
var Fields = []Field{
	{"version", "version", 2, KindInt32, "flow log version"},
	{"account-id", "account_id", 2, KindString, "AWS account that owns the interface"},
	{"interface-id", "interface_id", 2, KindString, "network interface (ENI) id"},
	{"srcaddr", "srcaddr", 2, KindAddr, "source address (for an ENI: its primary private address)"},
	{"dstaddr", "dstaddr", 2, KindAddr, "destination address"},
	{"srcport", "srcport", 2, KindPort, "source port"},
	{"dstport", "dstport", 2, KindPort, "destination port"},
	{"protocol", "protocol", 2, KindProto, "IANA protocol number"},
	{"packets", "packets", 2, KindInt64, "packets in the interval"},
	{"bytes", "bytes", 2, KindInt64, "bytes in the interval"},
	{"start", "start", 2, KindTime, "first packet, Unix seconds"},
	{"end", "end", 2, KindTime, "last packet, Unix seconds"},
	{"action", "action", 2, KindString, "ACCEPT or REJECT"},
	{"log-status", "log_status", 2, KindString, "OK, NODATA or SKIPDATA"},
	{"vpc-id", "vpc_id", 3, KindString, "VPC id"},
	{"subnet-id", "subnet_id", 3, KindString, "subnet id"},
	{"instance-id", "instance_id", 3, KindString, "instance id; - for requester-managed interfaces"},
	{"tcp-flags", "tcp_flags", 3, KindInt32, "TCP flags ORed over the interval"},
	{"type", "type", 3, KindString, "IPv4, IPv6 or EFA"},
	{"pkt-srcaddr", "pkt_srcaddr", 3, KindAddr, "packet-level source address"},
	{"pkt-dstaddr", "pkt_dstaddr", 3, KindAddr, "packet-level destination address"},
	{"region", "region", 4, KindString, "region of the interface"},
	{"az-id", "az_id", 4, KindString, "Availability Zone id"},
	{"sublocation-type", "sublocation_type", 4, KindString, "wavelength, outpost or localzone"},
	{"sublocation-id", "sublocation_id", 4, KindString, "sublocation id"},
	{"pkt-src-aws-service", "pkt_src_aws_service", 5, KindString, "AWS service of the packet source"},
	{"pkt-dst-aws-service", "pkt_dst_aws_service", 5, KindString, "AWS service of the packet destination"},
	{"flow-direction", "flow_direction", 5, KindString, "ingress or egress"},
	{"traffic-path", "traffic_path", 5, KindInt32, "egress path (1–8)"},
	{"ecs-cluster-arn", "ecs_cluster_arn", 7, KindString, "ECS cluster ARN"},
	{"ecs-cluster-name", "ecs_cluster_name", 7, KindString, "ECS cluster name"},
	{"ecs-container-instance-arn", "ecs_container_instance_arn", 7, KindString, "ECS container instance ARN"},
	{"ecs-container-instance-id", "ecs_container_instance_id", 7, KindString, "ECS container instance id"},
	{"ecs-container-id", "ecs_container_id", 7, KindString, "Docker id of the first container"},
	{"ecs-second-container-id", "ecs_second_container_id", 7, KindString, "Docker id of the second container"},
	{"ecs-service-name", "ecs_service_name", 7, KindString, "ECS service name"},
	{"ecs-task-definition-arn", "ecs_task_definition_arn", 7, KindString, "ECS task definition ARN"},
	{"ecs-task-arn", "ecs_task_arn", 7, KindString, "ECS task ARN"},
	{"ecs-task-id", "ecs_task_id", 7, KindString, "ECS task id"},
	{"reject-reason", "reject_reason", 8, KindString, "why traffic was rejected (BPA)"},
	{"resource-id", "resource_id", 9, KindString, "resource id (e.g. a regional NAT gateway)"},
	{"encryption-status", "encryption_status", 10, KindInt32, "encryption in transit (0–3)"},
	{"instance-tag", "instance_tag", 11, KindString, "instance tag value (percent-encoded)"},
	{"instance-tag-2", "instance_tag_2", 11, KindString, "second instance tag value"},
	{"interface-tag", "interface_tag", 11, KindString, "interface tag value"},
	{"interface-tag-2", "interface_tag_2", 11, KindString, "second interface tag value"},
	{"asg-tag", "asg_tag", 11, KindString, "Auto Scaling group tag value"},
	{"asg-tag-2", "asg_tag_2", 11, KindString, "second Auto Scaling group tag value"},
	{"interface-type", "interface_type", 11, KindString, "interface type (nat_gateway, vpc_endpoint, …)"},
	{"next-hop-interface-id", "next_hop_interface_id", 11, KindString, "next-hop interface id"},
	{"next-hop-subnet-id", "next_hop_subnet_id", 11, KindString, "next-hop subnet id"},
	{"next-hop-az-id", "next_hop_az_id", 11, KindString, "next-hop AZ id"},
	{"next-hop-vpc-id", "next_hop_vpc_id", 11, KindString, "next-hop VPC id"},
	{"next-hop-interface-type", "next_hop_interface_type", 11, KindString, "next-hop interface type"},
	// Transit Gateway layout only.
	{"resource-type", "resource_type", 6, KindString, "TransitGateway"},
	{"tgw-id", "tgw_id", 6, KindString, "transit gateway id"},
	{"tgw-attachment-id", "tgw_attachment_id", 6, KindString, "attachment id"},
	{"tgw-src-vpc-account-id", "tgw_src_vpc_account_id", 6, KindString, "source VPC account"},
	{"tgw-dst-vpc-account-id", "tgw_dst_vpc_account_id", 6, KindString, "destination VPC account"},
	{"tgw-src-vpc-id", "tgw_src_vpc_id", 6, KindString, "source VPC"},
	{"tgw-dst-vpc-id", "tgw_dst_vpc_id", 6, KindString, "destination VPC"},
	{"tgw-src-subnet-id", "tgw_src_subnet_id", 6, KindString, "source subnet"},
	{"tgw-dst-subnet-id", "tgw_dst_subnet_id", 6, KindString, "destination subnet"},
	{"tgw-src-eni", "tgw_src_eni", 6, KindString, "source ENI"},
	{"tgw-dst-eni", "tgw_dst_eni", 6, KindString, "destination ENI"},
	{"tgw-src-az-id", "tgw_src_az_id", 6, KindString, "source AZ id"},
	{"tgw-dst-az-id", "tgw_dst_az_id", 6, KindString, "destination AZ id"},
	{"tgw-pair-attachment-id", "tgw_pair_attachment_id", 6, KindString, "paired attachment id"},
	{"packets-lost-no-route", "packets_lost_no_route", 6, KindInt64, "packets lost: no route"},
	{"packets-lost-blackhole", "packets_lost_blackhole", 6, KindInt64, "packets lost: blackhole route"},
	{"packets-lost-mtu-exceeded", "packets_lost_mtu_exceeded", 6, KindInt64, "packets lost: MTU exceeded"},
	{"packets-lost-ttl-expired", "packets_lost_ttl_expired", 6, KindInt64, "packets lost: TTL expired"},
	// Enrichment only (version 0): never in a log line, computed from an AWS inventory (--enrich,
	// package enrich) after decoding, and only when a question reads them. AddTagField adds the
	// tag columns (tag_team, src_tag_team, …) after these.
	{"interface-name", "interface_name", 0, KindString, "the interface's owner: instance, NAT gateway, endpoint or attachment Name tag, else the ENI's, else its description (--enrich)"},
	{"src-name", "src_name", 0, KindString, "name of the interface that holds srcaddr (--enrich)"},
	{"dst-name", "dst_name", 0, KindString, "name of the interface that holds dstaddr (--enrich)"},
	{"src-vpc-id", "src_vpc_id", 0, KindString, "VPC of srcaddr (--enrich)"},
	{"dst-vpc-id", "dst_vpc_id", 0, KindString, "VPC of dstaddr (--enrich)"},
	{"src-az-id", "src_az_id", 0, KindString, "Availability Zone id of srcaddr (--enrich)"},
	{"dst-az-id", "dst_az_id", 0, KindString, "Availability Zone id of dstaddr (--enrich)"},
}

// Enriched reports whether the field is computed from an inventory (--enrich) rather than logged.
func (f Field) Enriched() bool { return f.Version == 0 }

// FieldID indexes Fields.
type FieldID uint8

// Well-known field ids, used by code that needs a particular field.
const (
	FVersion FieldID = iota
	FAccountID
	FInterfaceID
	FSrcAddr
	FDstAddr
	FSrcPort
	FDstPort
	FProtocol
	FPackets
	FBytes
	FStart
	FEnd
	FAction
	FLogStatus
)

// fieldByName finds the logged fields (those a header may name), enrichedByName the others.
var fieldByName, enrichedByName = func() (map[string]FieldID, map[string]FieldID) {
	m := make(map[string]FieldID, 2*len(Fields))
	e := map[string]FieldID{}
	for i, f := range Fields {
		if f.Enriched() {
			e[f.Name] = FieldID(i)
			e[f.Column] = FieldID(i)
			continue
		}
		m[f.Name] = FieldID(i)
		m[f.Column] = FieldID(i)
	}
	if len(Fields) > fieldSlots {
		panic("BUG: more fields than a Layout indexes")
	}
	return m, e
}()

// LookupField finds a field by its AWS name ("log-status") or column name ("log_status"),
// enrichment fields included.
func LookupField(name string) (FieldID, bool) {
	id, ok := fieldByName[name]
	if !ok {
		id, ok = enrichedByName[name]
	}
	return id, ok
}

// MaxTagKeys bounds the tag keys AddTagField takes: each adds three fields.
const MaxTagKeys = 8

var tagMu sync.Mutex

// AddTagField adds (once) the enrichment field of tag key for an interface (prefix "") or an
// address's owner (prefix "src_" or "dst_"): column prefix+"tag_"+key, key lower-cased with every
// character but letters, digits and '_' made '_'. It must be called before any decoding or
// query starts (the field table is read without a lock), as the commands do when they read
// --tag-keys.
func AddTagField(prefix, key string) (FieldID, error) {
	tagMu.Lock()
	defer tagMu.Unlock()
	col := prefix + "tag_" + TagColumnKey(key)
	if id, ok := LookupField(col); ok {
		if !Fields[id].Enriched() {
			return 0, fmt.Errorf("tag key %q: column %s is a flow-log field", key, col)
		}
		return id, nil
	}
	if len(Fields) >= fieldSlots {
		return 0, fmt.Errorf("tag key %q: too many tag keys (at most %d)", key, MaxTagKeys)
	}
	name := strings.ReplaceAll(col, "_", "-")
	owner := "the interface"
	switch prefix {
	case "src_":
		owner = "the owner of srcaddr"
	case "dst_":
		owner = "the owner of dstaddr"
	}
	Fields = append(Fields, Field{Name: name, Column: col, Version: 0, Kind: KindString, Doc: "tag " + key + " of " + owner + " (--enrich, --tag-keys)"})
	id := FieldID(len(Fields) - 1)
	enrichedByName[name] = id
	enrichedByName[col] = id
	return id, nil
}

// TagColumnKey is a tag key as it appears in column names: lower case, letters, digits and '_'.
func TagColumnKey(key string) string {
	b := []byte(strings.ToLower(key))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Layout is the ordered list of fields of a line: the header of an S3 object, or the user's --fields.
type Layout struct {
	IDs    []FieldID
	index  [fieldSlots]int8 // position of each field in IDs, or -1
	schema *arrow.Schema
	text   string
	fault  string // for a header that cannot be read: why the lines under it are not (faultLayout)

	projMu    sync.Mutex
	projected map[string]*arrow.Schema // schemas of projections, by need list
}

// NewLayout builds a layout from field ids. A field may not repeat.
func NewLayout(ids []FieldID) (*Layout, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("empty field list")
	}
	if len(ids) > maxFields {
		return nil, fmt.Errorf("%d fields, at most %d are supported", len(ids), maxFields)
	}
	l := &Layout{IDs: append([]FieldID(nil), ids...)}
	for i := range l.index {
		l.index[i] = -1
	}
	names := make([]string, len(ids))
	afs := make([]arrow.Field, len(ids))
	for i, id := range ids {
		if l.index[id] >= 0 {
			return nil, fmt.Errorf("field %q appears twice", Fields[id].Name)
		}
		l.index[id] = int8(i)
		f := Fields[id]
		names[i] = f.Name
		afs[i] = arrow.Field{Name: f.Column, Type: f.Kind.ArrowType(), Nullable: true}
		if f.Kind == KindAddr {
			afs[i].Metadata = arrow.NewMetadata([]string{"flowlens.type"}, []string{"ip"})
		}
	}
	l.text = strings.Join(names, " ")
	l.schema = arrow.NewSchema(afs, nil)
	return l, nil
}

// ParseLayout reads a field list in any of the spellings users write: "${version} ${srcaddr}",
// "version srcaddr" or "version,srcaddr", with AWS or column names.
func ParseLayout(s string) (*Layout, error) {
	toks := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
	ids := make([]FieldID, 0, len(toks))
	for _, t := range toks {
		name := t
		if strings.HasPrefix(name, "${") && strings.HasSuffix(name, "}") {
			name = name[2 : len(name)-1]
		}
		id, ok := fieldByName[name]
		if !ok {
			if _, enriched := enrichedByName[name]; enriched {
				return nil, fmt.Errorf("field %q is computed from an inventory (--enrich), not logged: it cannot be in a field list", t)
			}
			return nil, fmt.Errorf("unknown field %q in field list (see 'flowlens help fields')", t)
		}
		ids = append(ids, id)
	}
	return NewLayout(ids)
}

// MustLayout is ParseLayout for lists known to be valid.
func MustLayout(s string) *Layout {
	l, err := ParseLayout(s)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return l
}

// Index returns the position of field id in the layout, or -1.
func (l *Layout) Index(id FieldID) int { return int(l.index[id]) }

// Has reports whether the layout holds field id.
func (l *Layout) Has(id FieldID) bool { return l.index[id] >= 0 }

// Schema is the Arrow schema of batches decoded with this layout.
func (l *Layout) Schema() *arrow.Schema { return l.schema }

// project returns the schema of the layout's fields that need keeps, cached per need list.
func (l *Layout) project(need []FieldID) *arrow.Schema {
	key := fmt.Sprint(need)
	l.projMu.Lock()
	defer l.projMu.Unlock()
	if s, ok := l.projected[key]; ok {
		return s
	}
	var fields []arrow.Field
	for i, id := range l.IDs {
		if keeps(need, id) {
			fields = append(fields, l.schema.Field(i))
		}
	}
	s := arrow.NewSchema(fields, nil)
	if l.projected == nil {
		l.projected = map[string]*arrow.Schema{}
	}
	l.projected[key] = s
	return s
}

// String returns the layout as a header line.
func (l *Layout) String() string { return l.text }

// Equal reports whether two layouts list the same fields in the same order. Nil equals nil only.
func (l *Layout) Equal(o *Layout) bool {
	if l == nil || o == nil {
		return l == o
	}
	return l == o || l.text == o.text
}

// maxFields bounds a layout: every field at most once.
const maxFields = 80

// fieldSlots bounds len(Fields).
const fieldSlots = 120

// DefaultLayout is the version 2 default format.
var DefaultLayout = MustLayout("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")

// TransitGatewayLayout is the 36-field Transit Gateway flow log layout.
var TransitGatewayLayout = MustLayout("version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id " +
	"tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni " +
	"tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end " +
	"log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired " +
	"tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service")

// AllFieldsLayout returns every VPC field up to version v in documented order (v from 2 to 11, 6 excluded).
// Headerless lines whose field count equals one of these are read with it, as Elastic's parser does.
func AllFieldsLayout(v int) *Layout {
	var ids []FieldID
	for i, f := range Fields {
		if f.Version >= 2 && f.Version <= v && f.Version != 6 {
			ids = append(ids, FieldID(i))
		}
	}
	l, _ := NewLayout(ids)
	return l
}

// layoutByCount maps a headerless line's field count to the layout assumed for it.
var layoutByCount = func() map[int]*Layout {
	m := map[int]*Layout{DefaultLayout.Len(): DefaultLayout, TransitGatewayLayout.Len(): TransitGatewayLayout}
	for _, v := range []int{3, 4, 5, 7, 8, 9, 10, 11} {
		l := AllFieldsLayout(v)
		if _, dup := m[l.Len()]; dup {
			panic("BUG: two implicit layouts with the same field count")
		}
		m[l.Len()] = l
	}
	return m
}()

// Len is the number of fields.
func (l *Layout) Len() int { return len(l.IDs) }

// V5Layout is the custom layout the generator writes for NAT and service analysis (the AWS v5 example order).
var V5Layout = MustLayout("version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id " +
	"vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags " +
	"pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status")
