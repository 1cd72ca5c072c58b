package nat

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/output"
)

// EstimateJSON is the JSON document of cost --estimate.
type EstimateJSON struct {
	Region            string        `json:"region"`
	Hours             float64       `json:"hours"`
	NATGB             float64       `json:"nat_gb"`
	Gateways          int           `json:"nat_gateways"`
	NATHourlyCost     float64       `json:"nat_hourly_cost"`
	NATProcessingCost float64       `json:"nat_processing_cost"`
	NATTotal          float64       `json:"nat_total"`
	EndpointHourOnly  float64       `json:"endpoint_hour_only"`
	SavingVsHourOnly  float64       `json:"saving_vs_hour_only"`
	SavingPercent     float64       `json:"saving_percent"`
	Alternatives      []altJSON     `json:"alternatives"`
	Assumptions       []string      `json:"assumptions"`
	PriceTable        priceTableDoc `json:"price_table"`
}

type altJSON struct {
	Kind   string  `json:"kind"`
	Cost   float64 `json:"cost"`
	Saving float64 `json:"saving"`
}

type priceTableDoc struct {
	Date   string `json:"date"`
	Source string `json:"source"`
}

// EstimateDoc is the JSON form of an estimate (cost --estimate).
func EstimateDoc(e *cost.Estimate, p *cost.Prices) EstimateJSON {
	return EstimateJSON{Region: e.Region, Hours: e.Hours, NATGB: e.NATGB, Gateways: e.Gateways,
		NATHourlyCost: e.NATHourlyCost, NATProcessingCost: e.NATProcessingCost, NATTotal: e.NATTotal,
		EndpointHourOnly: e.EndpointHourOnly, SavingVsHourOnly: e.SavingVsHourOnly, SavingPercent: e.SavingPercent,
		Alternatives: []altJSON{{e.GatewayEndpoint.Kind, e.GatewayEndpoint.Cost, e.GatewayEndpoint.Saving},
			{e.InterfaceEndpoint.Kind, e.InterfaceEndpoint.Cost, e.InterfaceEndpoint.Saving}},
		Assumptions: e.Assumptions, PriceTable: priceTableDoc{p.Date, p.Source}}
}

// WriteEstimateTable writes an estimate as text.
func WriteEstimateTable(w io.Writer, e *cost.Estimate) error {
	var b strings.Builder
	fmt.Fprintf(&b, "NAT gateway estimate — %s, %d gateway(s), %.2f GB over %s hours (GB = 10^9 bytes)\n", e.Region, e.Gateways, e.NATGB, trim(e.Hours))
	fmt.Fprintf(&b, "  NAT hours       $%10.2f\n  NAT processing  $%10.2f\n  NAT total       $%10.2f\n", e.NATHourlyCost, e.NATProcessingCost, e.NATTotal)
	fmt.Fprintf(&b, "  one endpoint at the hourly price only: $%.2f; saving $%.2f (%.2f %%) — the common quick comparison: it\n"+
		"    removes the NAT gateway entirely and leaves out the endpoint's per-GB and per-AZ charges, so it overstates the saving\n",
		e.EndpointHourOnly, e.SavingVsHourOnly, e.SavingPercent)
	fmt.Fprintf(&b, "  gateway endpoint (S3, DynamoDB):   costs $%.2f, saves $%.2f\n", e.GatewayEndpoint.Cost, e.GatewayEndpoint.Saving)
	fmt.Fprintf(&b, "  interface endpoint (%d AZ):         costs $%.2f, saves $%.2f\n", e.AZs, e.InterfaceEndpoint.Cost, e.InterfaceEndpoint.Saving)
	b.WriteString("assumptions:\n")
	for _, a := range e.Assumptions {
		fmt.Fprintf(&b, "  %s\n", a)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func trim(x float64) string {
	if x == math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// WriteEstimateJSON writes the JSON document of an estimate made with prices p.
func WriteEstimateJSON(w io.Writer, e *cost.Estimate, p *cost.Prices) error {
	return output.WriteJSON(w, EstimateDoc(e, p))
}
