package cost_test

import (
	"fmt"

	"github.com/flowlens/flowlens/cost"
)

// The cost estimate: 1,000 GB through one NAT gateway over a 730-hour month in us-east-1, priced
// with the embedded table, against a gateway endpoint and an interface endpoint in one AZ.
func ExampleEstimateCost() {
	e, err := cost.EstimateCost(cost.EstimateInput{NATGB: 1000, Hours: 730, Gateways: 1, Region: "us-east-1"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("NAT: hours $%.2f + processing $%.2f = $%.2f\n", e.NATHourlyCost, e.NATProcessingCost, e.NATTotal)
	fmt.Printf("%s: costs $%.2f, saves $%.2f\n", e.GatewayEndpoint.Kind, e.GatewayEndpoint.Cost, e.GatewayEndpoint.Saving)
	fmt.Printf("%s: costs $%.2f, saves $%.2f\n", e.InterfaceEndpoint.Kind, e.InterfaceEndpoint.Cost, e.InterfaceEndpoint.Saving)
	// Output:
	// NAT: hours $32.85 + processing $45.00 = $77.85
	// gateway_endpoint: costs $0.00, saves $45.00
	// interface_endpoint: costs $17.30, saves $27.70
}
