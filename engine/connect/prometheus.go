package connect

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// promConn reads values with PromQL queries at the time of the sync:
// measure.query must give one value (a scalar, or a vector of one series;
// aggregate with sum() when it gives more), or with a range selector one
// series' samples over the range (metric{...}[7d]), stored as a series.
type promConn struct {
	api     promv1.API
	secrets redactor
}

func openPrometheus(name string, c Config) (*promConn, error) {
	base, err := baseURL(name, c)
	if err != nil {
		return nil, err
	}
	p := &promConn{}
	var rt http.RoundTripper = http.DefaultTransport
	if len(c.Headers) > 0 {
		var h http.Header
		if h, p.secrets, err = secretHeaders(name, c); err != nil {
			return nil, err
		}
		rt = headerTransport{h: h, rt: rt}
	}
	client, err := api.NewClient(api.Config{Address: c.URL, Client: fenced(base, rt)})
	if err != nil {
		return nil, fmt.Errorf("connectors.%s.url: %w", name, err)
	}
	p.api = promv1.NewAPI(client)
	return p, nil
}

// headerTransport adds the connector's headers to every request.
type headerTransport struct {
	h  http.Header
	rt http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.h {
		r.Header[k] = v
	}
	return t.rt.RoundTrip(r)
}

func (p *promConn) Close() error { return nil }

func (p *promConn) Read(ctx context.Context, req Request) ([]Reading, error) {
	if req.Measure.Query == "" {
		return nil, errors.New("measure.query is empty; write the PromQL that gives the value")
	}
	v, _, _, err := p.api.Query(ctx, req.Measure.Query, req.Now)
	if err != nil {
		return nil, p.secrets.err(err)
	}
	switch x := v.(type) {
	case nil:
		return nil, errors.New("the server's answer held no result: is connectors' url a Prometheus server?")
	case *model.Scalar:
		f, err := number(float64(x.Value))
		return []Reading{{Value: f, At: x.Timestamp.Time().UTC()}}, err
	case model.Vector:
		switch len(x) {
		case 0:
			return nil, errors.New("the query returned no series: check the metric name and labels")
		case 1:
			f, err := number(float64(x[0].Value))
			return []Reading{{Value: f, At: x[0].Timestamp.Time().UTC()}}, err
		}
		return nil, fmt.Errorf("the query returned %d series; aggregate it to one, e.g. sum(...)", len(x))
	case model.Matrix: // a range selector: one series' samples are a series of values
		if len(x) != 1 {
			return nil, fmt.Errorf("the query returned %d series; select one, e.g. with labels", len(x))
		}
		out := make([]Reading, 0, len(x[0].Values))
		for _, sp := range x[0].Values {
			f, err := number(float64(sp.Value))
			if err != nil {
				return nil, err
			}
			out = append(out, Reading{Value: f, At: sp.Timestamp.Time().UTC()})
		}
		if len(out) == 0 {
			return nil, errors.New("the query returned no samples")
		}
		return out, nil
	}
	return nil, fmt.Errorf("the query returned a %s; write a query that gives a scalar, one series, or one series over a range", v.Type())
}
