package protocol_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
	"github.com/okrmap/okrmap/plugins/protocol"
)

// echo answers every KPI it receives with a finding and records what
// arrived.
type echo struct {
	batches  int
	settings map[string]string
	deadline bool
}

func (e *echo) Describe(context.Context) (*pb.Description, error) {
	return &pb.Description{Name: "echo", ProtocolVersion: protocol.Version}, nil
}

func (e *echo) Configure(_ context.Context, s map[string]string) error {
	e.settings = s
	return nil
}

func (e *echo) Check(ctx context.Context, graph []*pb.GraphBatch) ([]*pb.Finding, error) {
	_, e.deadline = ctx.Deadline()
	e.batches = len(graph)
	var out []*pb.Finding
	for _, b := range graph {
		for _, k := range b.GetKpis() {
			out = append(out, &pb.Finding{Rule: "echo", Entity: k.GetKey()})
		}
	}
	return out, nil
}

func dial(t *testing.T, impl protocol.Impl) protocol.Impl {
	t.Helper()
	client, server := plugin.TestPluginGRPCConn(t, false, protocol.Sets(impl)[protocol.Version])
	t.Cleanup(func() { client.Close(); server.Stop() })
	raw, err := client.Dispense(protocol.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(protocol.Impl)
}

// More findings than fit one batch come back complete and in order, the
// graph arrives as the batches sent, and the caller's deadline travels.
func TestCheckRoundTrip(t *testing.T) {
	e := &echo{}
	c := dial(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Configure(ctx, map[string]string{"floor": "3"}); err != nil || e.settings["floor"] != "3" {
		t.Fatalf("configure: %v, settings %v", err, e.settings)
	}
	n := 2*protocol.BatchSize + 17
	var graph []*pb.GraphBatch
	for i := 0; i < n; i += protocol.BatchSize {
		b := &pb.GraphBatch{}
		for j := i; j < min(i+protocol.BatchSize, n); j++ {
			b.Kpis = append(b.Kpis, &pb.KPI{Key: fmt.Sprint("k", j)})
		}
		graph = append(graph, b)
	}
	found, err := c.Check(ctx, graph)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != n || found[0].GetEntity() != "k0" || found[n-1].GetEntity() != fmt.Sprint("k", n-1) {
		t.Fatalf("%d findings, want %d in order", len(found), n)
	}
	if e.batches != len(graph) || !e.deadline {
		t.Errorf("plugin saw %d batches (want %d), deadline %v", e.batches, len(graph), e.deadline)
	}
}

// A plugin that floods the host is cut off.
func TestCheckBoundsFindings(t *testing.T) {
	c := dial(t, &echo{})
	c.(*protocol.Client).MaxFindings = 10
	graph := []*pb.GraphBatch{{Kpis: make([]*pb.KPI, 11)}}
	if _, err := c.Check(context.Background(), graph); err == nil || !strings.Contains(err.Error(), "more than 10 findings") {
		t.Errorf("flooding check: %v", err)
	}
}

// A context already done stops the call with the context's error.
func TestCheckHonoursCancel(t *testing.T) {
	c := dial(t, &echo{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Check(ctx, []*pb.GraphBatch{{}}); status.Code(err) != codes.Canceled {
		t.Errorf("cancelled check: %v, want Canceled", err)
	}
}

func TestVersions(t *testing.T) {
	v := protocol.Versions()
	if !slices.Contains(v, protocol.Version) || v[len(v)-1] != protocol.Version || protocol.Handshake.ProtocolVersion != protocol.Version {
		t.Errorf("versions %v, handshake %d: the current version %d must be served and be the newest", v, protocol.Handshake.ProtocolVersion, protocol.Version)
	}
}
