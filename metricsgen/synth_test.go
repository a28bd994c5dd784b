package metricsgen

import (
	"fmt"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// synthTraces builds minutes×perMinute traces starting at start, one every
// 60/perMinute seconds: a SERVER span of "api" calling "orders" (CLIENT →
// SERVER, 50ms on the server) and "users" (20ms). The first orders call of
// each minute fails on the server side.
func synthTraces(start time.Time, minutes, perMinute int) []*model.Trace {
	var out []*model.Trace
	gap := time.Minute / time.Duration(perMinute)
	for m := 0; m < minutes; m++ {
		for i := 0; i < perMinute; i++ {
			n := m*perMinute + i
			status := model.StatusUnset
			if i == 0 {
				status = model.StatusError
			}
			spec := storetest.TraceSpec{
				ID:    fmt.Sprintf("%032x", n+1),
				Start: start.Add(time.Duration(n) * gap),
				Spans: []storetest.SpanSpec{
					{ID: "1", Service: "api", Name: "GET /checkout", Kind: model.KindServer, Duration: 100 * time.Millisecond},
					{ID: "2", Parent: "1", Service: "api", Name: "orders.Get", Kind: model.KindClient, Offset: time.Millisecond, Duration: 60 * time.Millisecond, Status: status},
					{ID: "3", Parent: "2", Service: "orders", Name: "orders.Get", Kind: model.KindServer, Offset: 5 * time.Millisecond, Duration: 50 * time.Millisecond, Status: status},
					{ID: "4", Parent: "1", Service: "api", Name: "users.Get", Kind: model.KindClient, Offset: 70 * time.Millisecond, Duration: 25 * time.Millisecond},
					{ID: "5", Parent: "4", Service: "users", Name: "users.Get", Kind: model.KindServer, Offset: 72 * time.Millisecond, Duration: 20 * time.Millisecond},
				},
			}
			out = append(out, spec.Build())
		}
	}
	return out
}
