package host

import (
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/okrmap/okrmap/engine/resolve"
	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
)

// presence names the field that carries a has_ field's answer: set or not.
var presence = map[string]string{"has_measurement": "latest", "reviewed": "reviewed_at", "synced": "synced_at",
	"has_return": "return_value"}

// inside names the message field that carries a rule field among others.
var inside = map[string]string{"forecast_low": "forecast", "forecast_high": "forecast", "forecast_likelihood": "forecast"}

// TestPluginGraphHasRuleFields fails when the rule language sees a field
// of an entity, or of the graph, that the plugin protocol does not carry:
// a plugin must be able to judge what a rule pack can.
func TestPluginGraphHasRuleFields(t *testing.T) {
	for _, c := range []struct {
		entity any
		msg    proto.Message
	}{
		{resolve.Team{}, &pb.Team{}}, {resolve.BusinessObjective{}, &pb.BusinessObjective{}},
		{resolve.Objective{}, &pb.Objective{}}, {resolve.KeyResult{}, &pb.KeyResult{}},
		{resolve.KPI{}, &pb.KPI{}}, {resolve.Investment{}, &pb.Investment{}},
		{resolve.Link{}, &pb.Link{}}, {resolve.Assumption{}, &pb.Assumption{}}, {resolve.Graph{}, &pb.GraphBatch{}},
	} {
		rt := reflect.TypeOf(c.entity)
		fields := c.msg.ProtoReflect().Descriptor().Fields()
		for i := range rt.NumField() {
			name := rt.Field(i).Tag.Get("expr")
			if name == "" {
				continue
			}
			carrier := name
			if m, ok := inside[name]; ok {
				carrier = m
			} else if p, ok := presence[name]; ok {
				carrier = p
			} else if rest, ok := strings.CutPrefix(name, "has_"); ok {
				carrier = rest
			}
			f := fields.ByName(protoreflect.Name(carrier))
			switch {
			case f == nil:
				t.Errorf("rules see %s.%s, but the plugin protocol's %s has no field %s", rt.Name(), name, c.msg.ProtoReflect().Descriptor().Name(), carrier)
			case carrier != name && f.Kind() != protoreflect.StringKind && !f.HasPresence():
				t.Errorf("%s.%s: %s cannot tell unset from zero", rt.Name(), name, carrier)
			}
		}
	}
}
