package plan

import (
	"errors"
	"runtime"
	"slices"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/okrmap/okrmap/engine"
)

// splitKPIs is the number of KPIs from which decodeJSON decodes the KPI
// list in parts on every core.
var splitKPIs = 20000

// decodeJSON decodes a JSON plan strictly: unknown fields, repeated keys
// and invalid UTF-8 refused. Its lists of entities get the capacity they
// need first, so decoding does not grow them an entity at a time (at
// 100,000 KPIs growing took a third of the decode). A long KPI list is
// decoded in parts on every core, beside the rest of the document.
func decodeJSON(data []byte) (*engine.Plan, map[string]*jsonList, error) {
	lists := topLists(data)
	if kpis := lists["kpis"]; kpis != nil && len(kpis.starts) >= splitKPIs {
		p := sized(lists)
		if ok, err := decodeSplit(data, kpis, p); ok {
			return p, lists, err
		}
	}
	p := sized(lists) // not the plan a split decode may have half filled
	p.KPIs = withCap(p.KPIs, lists["kpis"])
	return p, lists, jsonv2.Unmarshal(data, p, strict)
}

// sized is a plan whose lists of entities other than KPIs have the
// capacity lists counted.
func sized(lists map[string]*jsonList) *engine.Plan {
	p := &engine.Plan{}
	p.Teams = withCap(p.Teams, lists["teams"])
	p.BusinessObjectives = withCap(p.BusinessObjectives, lists["business_objectives"])
	p.Objectives = withCap(p.Objectives, lists["objectives"])
	p.Assumptions = withCap(p.Assumptions, lists["assumptions"])
	p.Investments = withCap(p.Investments, lists["investments"])
	return p
}

var strict = jsonv2.RejectUnknownMembers(true)

// decodeSplit decodes the KPI list l of data on every core, an element at
// a time where it lies in data (the list is not copied), and the document
// with that list left empty meanwhile. ok is false when the list's
// elements are not separated by commas alone; decode it whole then.
func decodeSplit(data []byte, l *jsonList, p *engine.Plan) (ok bool, err error) {
	n := len(l.starts)
	if l.close <= l.starts[n-1] || l.starts[0] != afterSpace(data, l.open+1) {
		return false, nil // the list never closes, or something comes before its first element
	}
	rest := make([]byte, 0, len(data)-(l.close-l.open)+1)
	rest = append(rest, data[:l.open]...)
	rest = append(rest, '[', ']')
	rest = append(rest, data[l.close+1:]...)

	parts := runtime.GOMAXPROCS(0)
	kpis := make([]engine.KPI, n)
	errs := make([]error, parts+1)
	var wg sync.WaitGroup
	for k := range parts {
		wg.Go(func() {
			for i := n * k / parts; i < n*(k+1)/parts; i++ {
				end := l.close
				if i+1 < n {
					if end = commaBefore(data, l.starts[i+1]); end < 0 {
						errs[k] = errNotSplit
						return
					}
				}
				if err := jsonv2.Unmarshal(data[l.starts[i]:end], &kpis[i], strict); err != nil {
					errs[k] = err
					return
				}
			}
		})
	}
	errs[parts] = jsonv2.Unmarshal(rest, p, strict)
	wg.Wait()
	if slices.Contains(errs, errNotSplit) {
		return false, nil
	}
	for _, err := range errs {
		if err != nil {
			return true, err
		}
	}
	p.KPIs = kpis
	return true, nil
}

// errNotSplit marks a list whose elements are not separated by commas
// alone; it is then decoded whole.
var errNotSplit = errors.New("the list's elements are not separated by commas alone")

// commaBefore returns the offset of the comma that ends the element before
// the one at start, or -1 when only spaces do not lie between.
func commaBefore(data []byte, start int) int {
	i := start - 1
	for i >= 0 && isSpace(data[i]) {
		i--
	}
	if i < 0 || data[i] != ',' {
		return -1
	}
	return i
}

// afterSpace returns the offset of the first byte from i on that is not
// JSON white space.
func afterSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func withCap[T any](s []T, l *jsonList) []T {
	if l == nil || len(l.starts) == 0 {
		return s
	}
	return make([]T, 0, len(l.starts))
}

// jsonList is an array that is a member of a JSON document's top object,
// as topLists finds it.
type jsonList struct {
	open, close int   // the offsets of its [ and its ]
	starts      []int // the offset of each object in it
	// keyResults holds, by element, the offset of each object in the
	// element's key_results array; it is shorter where the rest have none.
	keyResults [][]int
}

// topLists finds the arrays that are members of the object data holds, by
// member name, and the key_results arrays of their elements. It reads
// bytes, not tokens: on a file that is not JSON what it finds is wrong,
// but every offset lies inside data.
func topLists(data []byte) map[string]*jsonList {
	lists := map[string]*jsonList{}
	depth := 0
	var name []byte    // the last member name read at depth 1 or 3
	var list *jsonList // the list being read at depth 2
	var krs *[]int     // the key results being read at depth 4
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			if depth == 1 || depth == 3 {
				name = data[i+1 : min(j, len(data))]
			}
			i = j
		case '[':
			switch depth++; {
			case depth == 2:
				list = &jsonList{open: i, close: i}
				lists[string(name)] = list
			case depth == 4 && list != nil && len(list.starts) > 0 && string(name) == "key_results":
				at := len(list.starts) - 1
				if len(list.keyResults) <= at {
					list.keyResults = append(list.keyResults, make([][]int, at+1-len(list.keyResults))...)
				}
				krs = &list.keyResults[at]
			}
		case '{':
			switch depth++; {
			case depth == 3 && list != nil:
				list.starts = append(list.starts, i)
			case depth == 5 && krs != nil:
				*krs = append(*krs, i)
			}
		case ']', '}':
			switch depth--; depth {
			case 1:
				if list != nil {
					list.close = i
					list = nil
				}
			case 3:
				krs = nil
			}
		}
	}
	return lists
}
