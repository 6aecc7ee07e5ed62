// Package protocol is the contract between okrmap and its rule plugins:
// the go-plugin handshake, the versioned plugin sets, and the gRPC adapters
// on both sides. Plugin authors use package sdk instead.
package protocol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/okrmap/okrmap/plugins/proto/okrmap/plugin/v1"
)

// Version is the current protocol version.
const Version = 1

// PluginName is the name a plugin binary serves its rules under.
const PluginName = "rules"

// Handshake keeps okrmap from running arbitrary binaries as plugins and
// tells a binary run by hand that it is a plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  Version,
	MagicCookieKey:   "OKRMAP_PLUGIN",
	MagicCookieValue: "e2c3a8b1-okrmap-rules",
}

// MaxMessage bounds one gRPC message each way, above the batch sizes used,
// and above gRPC's default 4 MiB receive limit.
const MaxMessage = 32 << 20

// BatchSize is how many entities or findings travel in one message.
const BatchSize = 2000

// Impl is a plugin at the protocol level.
type Impl interface {
	Describe(ctx context.Context) (*pb.Description, error)
	Configure(ctx context.Context, settings map[string]string) error
	// Check receives the whole graph as batches and returns findings.
	Check(ctx context.Context, graph []*pb.GraphBatch) ([]*pb.Finding, error)
}

// Sets returns the plugin sets by protocol version, serving impl (nil on
// the host side). go-plugin runs a plugin with the highest version both
// sides list.
//
// Versioning: fields and calls added to plugin.proto keep the version, as
// protobuf lets old and new peers ignore what they do not know. A change
// older plugins cannot follow takes a new version and a new package
// (okrmap.plugin.v2); the host then lists the previous version's set beside
// the current one, so plugins built against the previous SDK keep running.
func Sets(impl Impl) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{Version: {PluginName: &grpcPlugin{impl: impl}}}
}

// Versions lists the protocol versions served, oldest first.
func Versions() []int {
	return slices.Sorted(maps.Keys(Sets(nil)))
}

type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Impl
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterRulePluginServer(s, &server{impl: p.impl})
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{c: pb.NewRulePluginClient(c)}, nil
}

// server adapts an Impl to the gRPC service.
type server struct {
	pb.UnimplementedRulePluginServer
	impl Impl
}

func (s *server) Describe(ctx context.Context, _ *pb.DescribeRequest) (*pb.Description, error) {
	return s.impl.Describe(ctx)
}

func (s *server) Configure(ctx context.Context, r *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	return &pb.ConfigureResponse{}, s.impl.Configure(ctx, r.GetSettings())
}

func (s *server) Check(stream pb.RulePlugin_CheckServer) error {
	var graph []*pb.GraphBatch
	for {
		b, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		graph = append(graph, b)
	}
	findings, err := s.impl.Check(stream.Context(), graph)
	if err != nil {
		return err
	}
	for start := 0; start < len(findings); start += BatchSize {
		end := min(start+BatchSize, len(findings))
		if err := stream.Send(&pb.FindingBatch{Findings: findings[start:end]}); err != nil {
			return err
		}
	}
	return nil
}

// MaxFindings bounds how many findings one check may return by default
// (plugins.max_findings), so a runaway plugin cannot fill okrmap's memory
// and database; a check that returns more fails.
const MaxFindings = 10_000

// Client calls a plugin over gRPC; every call carries the caller's context
// and deadline.
type Client struct {
	c pb.RulePluginClient
	// MaxFindings overrides the package's MaxFindings when positive.
	MaxFindings int
}

var _ Impl = (*Client)(nil)

// Describe asks the plugin who it is.
func (c *Client) Describe(ctx context.Context) (*pb.Description, error) {
	return c.c.Describe(ctx, &pb.DescribeRequest{})
}

// Configure passes settings.
func (c *Client) Configure(ctx context.Context, settings map[string]string) error {
	_, err := c.c.Configure(ctx, &pb.ConfigureRequest{Settings: settings})
	return pluginError(err)
}

// pluginError turns an error the plugin's own code returned, which gRPC
// carries as status Unknown, back into its text; transport errors stay.
func pluginError(err error) error {
	if st, ok := status.FromError(err); ok && err != nil && st.Code() == codes.Unknown {
		return errors.New(st.Message())
	}
	return err
}

// Check streams the graph batches and collects the findings.
func (c *Client) Check(ctx context.Context, graph []*pb.GraphBatch) ([]*pb.Finding, error) {
	stream, err := c.c.Check(ctx, grpc.MaxCallSendMsgSize(MaxMessage), grpc.MaxCallRecvMsgSize(MaxMessage))
	if err != nil {
		return nil, err
	}
	for _, b := range graph {
		if err := stream.Send(b); err != nil {
			return nil, err
		}
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	limit := MaxFindings
	if c.MaxFindings > 0 {
		limit = c.MaxFindings
	}
	var out []*pb.Finding
	for {
		b, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, pluginError(err)
		}
		if len(out)+len(b.GetFindings()) > limit {
			return nil, fmt.Errorf("returned more than %d findings (plugins.max_findings); none of them were kept", limit)
		}
		out = append(out, b.GetFindings()...)
	}
}
