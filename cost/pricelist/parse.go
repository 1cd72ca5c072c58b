package pricelist

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// product is what Fetch reads of one PriceList entry: its family, its attributes and its OnDemand
// price, as tiers in ascending order of volume.
type product struct {
	Family     string
	Attributes map[string]string
	Unit       string
	Tiers      []priceTier
}

// priceTier is one price dimension of an OnDemand term: PerUnit USD for each unit from Begin up to
// End (+Inf when the API says "Inf").
type priceTier struct {
	Begin, End float64
	PerUnit    float64
}

// rawEntry is the JSON of one PriceList entry, as far as Fetch reads it.
type rawEntry struct {
	Product *struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
				BeginRange   string            `json:"beginRange"`
				EndRange     string            `json:"endRange"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// parseEntry decodes one PriceList entry (a JSON document in a string). It fails when the entry is
// not JSON, has no product or usagetype, has no OnDemand price in USD, or its price dimensions do not
// form one unit's contiguous tiers from 0 up to "Inf"; once the product is read, the product returned
// with the error has its family and attributes, for the message.
func parseEntry(s string) (product, error) {
	var e rawEntry
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		return product{}, fmt.Errorf("not a price list entry: %w", err)
	}
	if e.Product == nil {
		return product{}, errors.New(`no "product"`)
	}
	p := product{Family: e.Product.ProductFamily, Attributes: e.Product.Attributes}
	if p.Attributes["usagetype"] == "" {
		return p, errors.New(`no "usagetype" attribute`)
	}
	for _, term := range e.Terms.OnDemand {
		for id, d := range term.PriceDimensions {
			usd, ok := d.PricePerUnit["USD"]
			if !ok {
				return p, fmt.Errorf("price dimension %s: no USD price (%v)", id, d.PricePerUnit)
			}
			price, err := parseNumber(usd)
			if err != nil {
				return p, fmt.Errorf("price dimension %s: price per unit: %w", id, err)
			}
			begin, err := parseNumber(d.BeginRange)
			if err != nil {
				return p, fmt.Errorf("price dimension %s: beginRange: %w", id, err)
			}
			end := math.Inf(1)
			if d.EndRange != "Inf" {
				if end, err = parseNumber(d.EndRange); err != nil {
					return p, fmt.Errorf("price dimension %s: endRange: %w", id, err)
				}
			}
			if p.Unit == "" {
				p.Unit = d.Unit
			} else if d.Unit != p.Unit {
				return p, fmt.Errorf("price dimension %s: unit %q, another dimension has %q", id, d.Unit, p.Unit)
			}
			p.Tiers = append(p.Tiers, priceTier{Begin: begin, End: end, PerUnit: price})
		}
	}
	if len(p.Tiers) == 0 {
		return p, errors.New("no OnDemand price dimension")
	}
	slices.SortFunc(p.Tiers, func(a, b priceTier) int { return cmp.Compare(a.Begin, b.Begin) })
	var prev float64
	for i, t := range p.Tiers {
		if t.Begin != prev || !(t.End > t.Begin) {
			return p, fmt.Errorf("price tiers are not contiguous from 0: tier %d is %v–%v after %v", i, t.Begin, t.End, prev)
		}
		prev = t.End
	}
	if !math.IsInf(prev, 1) {
		return p, fmt.Errorf("the last price tier ends at %v, not Inf", prev)
	}
	return p, nil
}

// parseNumber parses a price or range of the price list ("0.0450000000", "1000000"): finite and
// not negative.
func parseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a non-negative number", s)
	}
	return v, nil
}

// usageIs reports whether usagetype is kind with or without a region prefix: "NatGateway-Hours"
// (us-east-1) and "USE2-NatGateway-Hours" are, "USE2-RegionalNatGateway-Hours" is not.
func usageIs(usagetype, kind string) bool {
	return usagetype == kind || strings.HasSuffix(usagetype, "-"+kind)
}

// flat returns the price of a product with a single tier (one price from 0 to Inf) in the unit
// wanted (see unitIs).
func (p product) flat(unit string) (float64, error) {
	if !unitIs(p.Unit, unit) {
		return 0, fmt.Errorf("unit %q, want %s", p.Unit, unit)
	}
	if len(p.Tiers) != 1 {
		return 0, fmt.Errorf("%d price tiers, want one", len(p.Tiers))
	}
	return p.Tiers[0].PerUnit, nil
}

// firstPaid returns the price of the first tier with a price above zero, such as the internet egress
// price after the free tier.
func (p product) firstPaid(unit string) (float64, error) {
	if !unitIs(p.Unit, unit) {
		return 0, fmt.Errorf("unit %q, want %s", p.Unit, unit)
	}
	for _, t := range p.Tiers {
		if t.PerUnit > 0 {
			return t.PerUnit, nil
		}
	}
	return 0, errors.New("no tier has a price above 0")
}

// Units as the price list spells them.
const (
	unitHours = "hours"
	unitGB    = "GB"
)

// unitIs reports whether the price list's unit is the one wanted: unitHours ("Hrs", "Hours") or
// unitGB ("GB").
func unitIs(unit, want string) bool {
	switch want {
	case unitHours:
		switch strings.ToLower(unit) {
		case "hrs", "hr", "hours", "hour":
			return true
		}
		return false
	default:
		return strings.EqualFold(unit, want)
	}
}
