package zipkin

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

type fixture struct {
	file                  string
	traces, spans, errors int
	// services are the resource service.name values the translator
	// produces; see the notes where they differ from the README, which
	// counts every endpoint service name.
	services []string
}

var v1Fixtures = []fixture{
	// README: 1 service. The span without an endpoint is named after its
	// "lc" local component by the translator.
	{"opentelemetry-collector/zipkin_v1_local_component.json", 1, 2, 0, []string{"myLocalComponent", "myServiceName"}},
	// README: 3 services. The span with no annotations gets the
	// translator's "unknown-service".
	{"opentelemetry-collector/zipkin_v1_multiple_batches.json", 1, 5, 0, []string{"front-proxy", "service1", "service2", "unknown-service"}},
	{"opentelemetry-collector/zipkin_v1_single_batch.json", 1, 5, 0, []string{"front-proxy", "service1", "service2", "unknown-service"}},
	{"opentelemetry-collector/zipkin_v2_notimestamp.json", 1, 1, 0, []string{"baz"}},
	// README: 2 services (client and server endpoints of one v1 span); the
	// translator makes one span under the first cs/sr endpoint.
	{"zipkin/v1/span-client.json", 1, 1, 0, []string{"frontend"}},
	{"zipkin/v1/span-local.json", 1, 1, 0, []string{"zipkin-server"}},
	{"zipkin/v1/span-rpc.json", 1, 1, 0, []string{"zipkin-web"}},
}

var v2Fixtures = []fixture{
	{"opentelemetry-collector/zipkin_v2_sample1.json", 1, 9, 0, []string{"frontend"}},
	// README counts 1 service for the next four: they have no
	// localEndpoint.serviceName, so the resource has no service.name.
	{"opentelemetry-collector/zipkin_v2_sample2.json", 1, 1, 0, nil},
	{"opentelemetry-collector/zipkin_v2_single.json", 1, 1, 0, []string{"frontend"}},
	{"opentelemetry-collector-contrib/zipkin-v2/sample3.json", 1, 1, 1, nil},
	{"opentelemetry-collector-contrib/zipkin-v2/sample4.json", 1, 1, 1, nil},
	{"zipkin/v2/ascend.json", 1, 8, 0, []string{"auth-service", "content-service", "mobile-gateway"}},
	{"zipkin/v2/envoy.json", 1, 1, 0, nil},
	// README: 2 services; only kong.proxy has a localEndpoint.
	{"zipkin/v2/malformed.json", 1, 7, 0, []string{"rewards"}},
	{"zipkin/v2/messaging-kafka.json", 1, 28, 3, []string{"servicea", "serviceb"}},
	{"zipkin/v2/messaging.json", 1, 4, 0, []string{"backend", "frontend"}},
	{"zipkin/v2/messaging2.json", 1, 11, 0, []string{"auth-service", "mobile-gateway", "notification-service", "transfer-service"}},
	{"zipkin/v2/netflix.json", 1, 8, 0, []string{"api", "apip", "session_logs"}},
	{"zipkin/v2/simple-db-p6.json", 1, 5, 0, []string{"bootifulmeters"}},
	{"zipkin/v2/skew.json", 1, 4, 0, []string{"servicea", "serviceb"}},
	{"zipkin/v2/smartthings-mobile-web-install.json", 1, 1041, 2, []string{"account", "alice", "auth", "bookie", "bouncer", "coreSrv", "dove", "execution", "gizmo", "guardian", "oreck", "paperboy", "platformapi", "pusher", "stLogin", "strongman"}},
	{"zipkin/v2/smartthings-oauth-authorization.json", 1, 175, 2, []string{"account", "auth", "bouncer", "datamgmt", "dove", "paperboy", "pusher", "stlogin"}},
	{"zipkin/v2/yelp.json", 1, 16, 0, []string{"mobile_api", "routing", "spectre", "unknown", "yelp-main", "yelp_main/api_proxy"}},
	{"zipkin/v2/zipkin2-chinese.json", 1, 1, 1, []string{"订单维护服务"}},
	{"zipkin/v2/zipkin2-client.json", 1, 1, 0, []string{"frontend"}},
}

func checkFixture(t *testing.T, tc fixture, dec codec.Decoder) {
	bs, err := codectest.DecodeFixture(t, tc.file, dec)
	if err != nil {
		t.Fatal(err)
	}
	codectest.CheckCounts(t, bs, tc.traces, tc.spans, tc.errors, tc.services)
	// Decoding twice gives the same output.
	again, _ := codectest.DecodeFixture(t, tc.file, dec)
	if codectest.Dump(bs) != codectest.Dump(again) {
		t.Error("decoding is not repeatable")
	}
}

func TestFixturesV1(t *testing.T) {
	for _, tc := range v1Fixtures {
		t.Run(tc.file, func(t *testing.T) { checkFixture(t, tc, DecodeV1) })
	}
}

func TestFixturesV2(t *testing.T) {
	for _, tc := range v2Fixtures {
		t.Run(tc.file, func(t *testing.T) { checkFixture(t, tc, DecodeV2) })
	}
}

// skew.json: span 74280ae0c10d8062 is shared by a SERVER half (serviceb)
// and a CLIENT half (servicea); the server half starts 65 ms before the
// client half (clock skew), which is kept as is.
func TestV2SharedSpanAndSkew(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "zipkin/v2/skew.json", DecodeV2)
	if err != nil {
		t.Fatal(err)
	}
	halves := codectest.SpansWithID(t, bs, "74280ae0c10d8062")
	if len(halves) != 2 {
		t.Fatalf("%d spans with the shared ID, want 2", len(halves))
	}
	byKind := map[model.SpanKind]model.SpanRef{}
	for _, h := range halves {
		byKind[h.Span.Kind] = h
	}
	srv, cli := byKind[model.KindServer], byKind[model.KindClient]
	if srv.Span == nil || cli.Span == nil {
		t.Fatalf("kinds = %v", byKind)
	}
	if srv.Resource.ServiceName() != "serviceb" || cli.Resource.ServiceName() != "servicea" {
		t.Errorf("services = %q / %q", srv.Resource.ServiceName(), cli.Resource.ServiceName())
	}
	if srv.Span.StartTimeUnixNano != 1470150004008761000 || cli.Span.StartTimeUnixNano != 1470150004074202000 {
		t.Errorf("starts = %d / %d", srv.Span.StartTimeUnixNano, cli.Span.StartTimeUnixNano)
	}
	if srv.Span.Duration() != 93577000 || cli.Span.Duration() != 94539000 {
		t.Errorf("durations = %d / %d", srv.Span.Duration(), cli.Span.Duration())
	}
	for _, h := range halves {
		if h.Span.ParentSpanID != codectest.SpanID(t, "bf396325699c84bf") {
			t.Errorf("%s half parent = %s", h.Span.Kind, h.Span.ParentSpanID)
		}
	}
	async := codectest.SpansWithID(t, bs, "43210ae0c10d1234")[0]
	if async.Span.Kind != model.KindUnspecified || async.Span.ParentSpanID != codectest.SpanID(t, "74280ae0c10d8062") {
		t.Errorf("async kind %s parent %s", async.Span.Kind, async.Span.ParentSpanID)
	}
	codectest.WantAttr(t, async.Span.Attributes, "network.local.address", model.StringValue("192.0.0.0"))
}

// zipkin2-chinese.json (a single span object): an error tag with a message,
// non-ASCII names, a remote endpoint.
func TestV2SingleObjectErrorTag(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "zipkin/v2/zipkin2-chinese.json", DecodeV2)
	if err != nil {
		t.Fatal(err)
	}
	r := codectest.SpansWithID(t, bs, "4d1e00c0db9010db")[0]
	if r.Span.Name != "个人信息查询" || r.Span.Kind != model.KindClient || r.Resource.ServiceName() != "订单维护服务" {
		t.Errorf("span %q kind %s service %q", r.Span.Name, r.Span.Kind, r.Resource.ServiceName())
	}
	if r.Span.TraceID.String() != "4d1e00c0db9010db86154a4ba6e91385" || r.Span.ParentSpanID != codectest.SpanID(t, "86154a4ba6e91385") {
		t.Errorf("ids %s parent %s", r.Span.TraceID, r.Span.ParentSpanID)
	}
	if r.Span.Status.Code != model.StatusError {
		t.Errorf("status = %s", r.Span.Status.Code)
	}
	// The translator keeps an error tag whose value is not "true".
	codectest.WantAttr(t, r.Span.Attributes, "error", model.StringValue("此用户没有操作权限"))
	codectest.WantAttr(t, r.Span.Attributes, "service.peer.name", model.StringValue("个人信息服务"))
	codectest.WantAttr(t, r.Span.Attributes, "net.peer.port", model.IntValue(9000))
	codectest.WantAttr(t, r.Span.Attributes, "network.local.address", model.StringValue("2001:db8::c001"))
}

func TestV2MessagingAndEvents(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "zipkin/v2/messaging-kafka.json", DecodeV2)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[model.SpanKind]int{}
	for _, r := range codectest.AllSpans(bs) {
		kinds[r.Span.Kind]++
	}
	if kinds[model.KindProducer] == 0 || kinds[model.KindConsumer] == 0 {
		t.Errorf("kinds = %v, want producers and consumers", kinds)
	}
	r := codectest.SpansWithID(t, bs, "2f77d5b0b8e0de35")[0]
	if r.Span.Name != "on-message" || r.Span.Status.Code != model.StatusError || r.Resource.ServiceName() != "serviceb" {
		t.Errorf("span %q status %s service %q", r.Span.Name, r.Span.Status.Code, r.Resource.ServiceName())
	}
	codectest.WantAttr(t, r.Span.Attributes, "error", model.StringValue("some error"))

	// sample3.json: annotations -> events; otel.status_code "ERROR" -> error
	// status with the description as message.
	bs, err = codectest.DecodeFixture(t, "opentelemetry-collector-contrib/zipkin-v2/sample3.json", DecodeV2)
	if err != nil {
		t.Fatal(err)
	}
	s := codectest.AllSpans(bs)[0].Span
	if s.Status.Code != model.StatusError || s.Status.Message != "Something failed" {
		t.Errorf("status = %+v", s.Status)
	}
	if len(s.Events) != 2 || s.Events[0].Name != "foo" || s.Events[0].TimeUnixNano != 1472470996238000000 || s.Events[1].Name != "bar" {
		t.Errorf("events = %+v", s.Events)
	}
}

// span-rpc.json: one v1 span holding both RPC sides (cs/cr from zipkin-web,
// sr/ss from zipkin-query), plus ws/wr annotations and ca/sa with value true.
func TestV1SharedRPCSpan(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "zipkin/v1/span-rpc.json", DecodeV1)
	if err != nil {
		t.Fatal(err)
	}
	r := codectest.SpansWithID(t, bs, "d673d7abe80d2f3f")[0]
	if r.Span.Kind != model.KindClient || r.Resource.ServiceName() != "zipkin-web" {
		t.Errorf("kind %s service %q", r.Span.Kind, r.Resource.ServiceName())
	}
	codectest.WantAttr(t, r.Resource.Attributes, "ipv4", model.StringValue("127.0.0.1"))
	if r.Span.ParentSpanID != codectest.SpanID(t, "83c138a4ee0f3de9") {
		t.Errorf("parent = %s", r.Span.ParentSpanID)
	}
	if r.Span.StartTimeUnixNano != 1461750491274000000 || r.Span.EndTimeUnixNano != 1461750491325000000 {
		t.Errorf("time = %d..%d", r.Span.StartTimeUnixNano, r.Span.EndTimeUnixNano)
	}
	if len(r.Span.Events) != 2 || r.Span.Events[0].Name != "ws" || r.Span.Events[1].Name != "wr" {
		t.Errorf("events = %+v", r.Span.Events)
	}
	codectest.WantAttr(t, r.Span.Attributes, "http.path", model.StringValue("/api/v1/traces"))
	codectest.WantAttr(t, r.Span.Attributes, "sa", model.StringValue("true"))

	// span-local.json: "lc" becomes the component attribute.
	bs, err = codectest.DecodeFixture(t, "zipkin/v1/span-local.json", DecodeV1)
	if err != nil {
		t.Fatal(err)
	}
	r = codectest.AllSpans(bs)[0]
	codectest.WantAttr(t, r.Span.Attributes, "component", model.StringValue("JDBCSpanStore"))
	if r.Resource.ServiceName() != "zipkin-server" || r.Span.Duration() != 15495000 {
		t.Errorf("service %q duration %d", r.Resource.ServiceName(), r.Span.Duration())
	}
}

// TestMissingTimestamps: a span without "timestamp" takes its time from
// its annotations, from another span with its ID (a piece of it, or the
// other side of a shared span), or from its parent, as Zipkin does; a span
// none of these place is an error naming file, line:col and JSON path,
// never a span at 1970.
func TestMissingTimestamps(t *testing.T) {
	const (
		tr   = `"traceId":"00000000000000aa"`
		svcA = `"localEndpoint":{"serviceName":"a"}`
		svcB = `"localEndpoint":{"serviceName":"b"}`
	)
	// times lists start..end (µs) per span, by span ID and kind.
	type times map[string][2]uint64
	tests := []struct {
		name    string
		dec     codec.Decoder
		in      string
		want    times
		wantErr string
	}{
		{name: "v2 piece before its timed piece", dec: DecodeV2,
			in: `[{` + tr + `,"id":"1","name":"x",` + svcA + `},
			      {` + tr + `,"id":"1","kind":"SERVER","timestamp":5000,"duration":30,` + svcA + `}]`,
			want: times{"0000000000000001/unspecified": {5000, 5030}, "0000000000000001/server": {5000, 5030}}},
		{name: "v2 keeps its own duration", dec: DecodeV2,
			in: `[{` + tr + `,"id":"1","kind":"SERVER","timestamp":5000,"duration":30,` + svcA + `},
			      {` + tr + `,"id":"1","duration":7,` + svcA + `}]`,
			want: times{"0000000000000001/server": {5000, 5030}, "0000000000000001/unspecified": {5000, 5007}}},
		{name: "v2 same service first", dec: DecodeV2,
			in: `[{` + tr + `,"id":"1","kind":"CLIENT","timestamp":4000,"duration":90,` + svcA + `},
			      {` + tr + `,"id":"1","kind":"SERVER","shared":true,"timestamp":4010,"duration":50,` + svcB + `},
			      {` + tr + `,"id":"1",` + svcB + `}]`,
			want: times{"0000000000000001/client": {4000, 4090}, "0000000000000001/server": {4010, 4060}, "0000000000000001/unspecified": {4010, 4060}}},
		{name: "v2 other side of a shared span", dec: DecodeV2,
			in: `[{` + tr + `,"id":"1","kind":"SERVER","shared":true,` + svcB + `},
			      {` + tr + `,"id":"1","kind":"CLIENT","timestamp":4000,"duration":90,` + svcA + `}]`,
			want: times{"0000000000000001/server": {4000, 4090}, "0000000000000001/client": {4000, 4090}}},
		{name: "v2 parent, chained", dec: DecodeV2,
			in: `[{` + tr + `,"id":"3","parentId":"2","duration":4,` + svcA + `},
			      {` + tr + `,"id":"2","parentId":"1",` + svcA + `},
			      {` + tr + `,"id":"1","timestamp":9000,"duration":100,` + svcA + `}]`,
			want: times{"0000000000000003/unspecified": {9000, 9004}, "0000000000000002/unspecified": {9000, 9000}, "0000000000000001/unspecified": {9000, 9100}}},
		{name: "v2 annotations", dec: DecodeV2,
			in:   `{` + tr + `,"id":"1",` + svcA + `,"annotations":[{"timestamp":7000,"value":"b"},{"timestamp":6000,"value":"a"}]}`,
			want: times{"0000000000000001/unspecified": {6000, 7000}}},
		{name: "v2 annotation and duration", dec: DecodeV2,
			in:   `{` + tr + `,"id":"1","duration":50,` + svcA + `,"annotations":[{"timestamp":6000,"value":"a"}]}`,
			want: times{"0000000000000001/unspecified": {6000, 6050}}},
		{name: "v2 nothing to go by", dec: DecodeV2,
			in:      "[\n{" + tr + `,"id":"1","timestamp":1000,` + svcA + "},\n  {" + tr + `,"id":"2","parentId":"9",` + svcA + "}]",
			wantErr: "in.json:3:3: $[1].timestamp: missing, no annotation has a time, and no span of this file with ID 0000000000000002 or its parent 0000000000000009 has one"},
		{name: "v2 root with nothing to go by", dec: DecodeV2,
			in:      `{` + tr + `,"id":"1",` + svcA + `}`,
			wantErr: "in.json:1:1: $.timestamp: missing, no annotation has a time, and no span of this file with ID 0000000000000001 has one: cannot tell when the span ran"},
		{name: "v1 cs/cr and sr/ss", dec: DecodeV1,
			in: `[{` + tr + `,"id":"0000000000000001","annotations":[{"timestamp":100,"value":"cs","endpoint":{"serviceName":"a"}},{"timestamp":190,"value":"cr","endpoint":{"serviceName":"a"}}]},
			      {` + tr + `,"id":"0000000000000002","annotations":[{"timestamp":110,"value":"sr","endpoint":{"serviceName":"b"}},{"timestamp":150,"value":"ss","endpoint":{"serviceName":"b"}}]}]`,
			want: times{"0000000000000001/client": {100, 190}, "0000000000000002/server": {110, 150}}},
		{name: "v1 binary annotations only, parent", dec: DecodeV1,
			in: `[{` + tr + `,"id":"0000000000000001","timestamp":3000,"duration":80,"annotations":[{"timestamp":3000,"value":"sr","endpoint":{"serviceName":"a"}}]},
			      {` + tr + `,"id":"0000000000000002","parentId":"0000000000000001","duration":15,"binaryAnnotations":[{"key":"lc","value":"jdbc","endpoint":{"serviceName":"a"}}]}]`,
			want: times{"0000000000000001/server": {3000, 3080}, "0000000000000002/unspecified": {3000, 3015}}},
		{name: "v1 nothing to go by", dec: DecodeV1,
			in:      `[{` + tr + `,"id":"0000000000000002","duration":7}]`,
			wantErr: "in.json:1:2: $[0].timestamp: missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := codectest.DecodeString(tc.dec, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v\nwant %s...", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := times{}
			for _, r := range codectest.AllSpans(bs) {
				got[r.Span.SpanID.String()+"/"+r.Span.Kind.String()] = [2]uint64{r.Span.StartTimeUnixNano / 1000, r.Span.EndTimeUnixNano / 1000}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("times (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMissingTimestampFixtures: real files with spans without a timestamp.
// SmartThings' trace has 84 pieces of server spans that carry only a name
// and an endpoint; each takes the time of its server span, so the trace
// spans 2018 only, not 1970 to 2018. The Collector's v1 files take the
// time from sr/ss annotations.
func TestMissingTimestampFixtures(t *testing.T) {
	for _, tc := range []struct {
		file       string
		dec        codec.Decoder
		spans      int
		start, end uint64 // the trace's time range, µs
	}{
		{"zipkin/v2/smartthings-mobile-web-install.json", DecodeV2, 1041, 1543549524565942, 1543549830583187},
		{"opentelemetry-collector/zipkin_v2_notimestamp.json", DecodeV1, 1, 1615821510040000, 1615821510041000},
		{"opentelemetry-collector/zipkin_v1_single_batch.json", DecodeV1, 5, 1544805927446743, 1544805927460102},
	} {
		t.Run(tc.file, func(t *testing.T) {
			bs, err := codectest.DecodeFixture(t, tc.file, tc.dec)
			if err != nil {
				t.Fatal(err)
			}
			spans := codectest.AllSpans(bs)
			if len(spans) != tc.spans {
				t.Fatalf("%d spans, want %d", len(spans), tc.spans)
			}
			start, end := uint64(math.MaxUint64), uint64(0)
			placed := 0
			byID := map[model.SpanID][]*model.Span{}
			for _, r := range spans {
				byID[r.Span.SpanID] = append(byID[r.Span.SpanID], r.Span)
			}
			for _, r := range spans {
				start, end = min(start, r.Span.StartTimeUnixNano), max(end, r.Span.EndTimeUnixNano)
				if _, ok := model.Find(r.Span.Attributes, absentStart); !ok {
					continue
				}
				// A piece of a span starts with the span it belongs to.
				placed++
				found := false
				for _, o := range byID[r.Span.SpanID] {
					found = found || (o != r.Span && o.StartTimeUnixNano == r.Span.StartTimeUnixNano)
				}
				if !found {
					t.Errorf("span %s starts at %d, with no other span of its ID", r.Span.SpanID, r.Span.StartTimeUnixNano)
				}
			}
			if start/1000 != tc.start || end/1000 != tc.end {
				t.Errorf("trace time range %d..%d µs, want %d..%d", start/1000, end/1000, tc.start, tc.end)
			}
			if strings.Contains(tc.file, "smartthings") && placed != 84 {
				t.Errorf("%d spans placed by their ID, want 84", placed)
			}
		})
	}
}

// A span whose time comes from a span more than one batch later is carried
// over to the next batch and still placed; the batches stay under
// chunkSize plus the carried spans.
func TestMissingTimestampCarriedOver(t *testing.T) {
	var b strings.Builder
	b.WriteString(`[{"traceId":"00000000000000aa","id":"ff00000000000001","localEndpoint":{"serviceName":"a"}}`)
	for i := range 1500 {
		fmt.Fprintf(&b, `,{"traceId":"%016x","id":"%016x","timestamp":%d,"duration":3,"localEndpoint":{"serviceName":"a"}}`, i+1, i+1, 1000+i)
	}
	b.WriteString(`,{"traceId":"00000000000000aa","id":"ff00000000000001","kind":"SERVER","timestamp":77000,"duration":5,"localEndpoint":{"serviceName":"a"}}]`)
	bs, err := codectest.DecodeString(DecodeV2, b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 {
		t.Fatalf("%d batches, want 2", len(bs))
	}
	n := 0
	for _, r := range codectest.AllSpans(bs) {
		if r.Span.SpanID.String() == "ff00000000000001" {
			n++
			if r.Span.StartTimeUnixNano != 77000_000 || r.Span.EndTimeUnixNano != 77005_000 {
				t.Errorf("%s span at %d..%d", r.Span.Kind, r.Span.StartTimeUnixNano, r.Span.EndTimeUnixNano)
			}
		}
	}
	if n != 2 || codectest.StatsOf(bs).Spans != 1502 {
		t.Fatalf("%d spans with the ID, %d in all", n, codectest.StatsOf(bs).Spans)
	}
}

func TestV1BadParentID(t *testing.T) {
	_, err := codectest.DecodeFixture(t, "opentelemetry-collector/zipkin_v1_error_batch.json", DecodeV1)
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a DecodeError", err)
	}
	// The second span starts on line 36; its parentId is "BADID".
	want := "opentelemetry-collector/zipkin_v1_error_batch.json:36:3: $[1].parentId: hex Id has wrong length (expected 16)"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		dec        codec.Decoder
	}{
		{"v2-skew", "zipkin/v2/skew.json", DecodeV2},
		{"v2-chinese", "zipkin/v2/zipkin2-chinese.json", DecodeV2},
		{"v2-sample1", "opentelemetry-collector/zipkin_v2_sample1.json", DecodeV2},
		{"v1-span-rpc", "zipkin/v1/span-rpc.json", DecodeV1},
		{"v1-multiple-batches", "opentelemetry-collector/zipkin_v1_multiple_batches.json", DecodeV1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := codectest.DecodeFixture(t, tc.file, tc.dec)
			if err != nil {
				t.Fatal(err)
			}
			codectest.Golden(t, tc.name, codectest.Dump(bs))
		})
	}
}

const (
	v2a = `{"traceId":"0000000000000001","id":"0000000000000002","name":"a","timestamp":1000,"duration":5,"localEndpoint":{"serviceName":"s"}}`
	v1a = `{"traceId":"0000000000000001","id":"0000000000000002","name":"a","annotations":[{"timestamp":1000,"value":"sr","endpoint":{"serviceName":"s"}}]}`
)

func TestForms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dec   codec.Decoder
		in    string
		spans int
	}{
		{"v2 array", DecodeV2, "[" + v2a + "," + v2a + "]", 2},
		{"v2 object", DecodeV2, v2a, 1},
		{"v2 json lines", DecodeV2, v2a + "\n" + v2a + "\n", 2},
		{"v2 empty array", DecodeV2, "[]", 0},
		{"v2 null element", DecodeV2, "[null," + v2a + "]", 1},
		{"v1 array of arrays", DecodeV1, "[[" + v1a + "],[" + v1a + "," + v1a + "]]", 3},
		{"v1 object", DecodeV1, v1a, 1},
		{"v1 numeric binary annotation", DecodeV1, `[{"traceId":"0000000000000001","id":"0000000000000002","timestamp":1000,"binaryAnnotations":[{"key":"n","value":42},{"key":"b","value":false}]}]`, 1},
		{"v2 leading-zero ipv4", DecodeV2, `{"traceId":"1","id":"2","timestamp":1000,"localEndpoint":{"serviceName":"s","ipv4":"10.0.0.01"}}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := codectest.DecodeString(tc.dec, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if n := codectest.StatsOf(bs).Spans; n != tc.spans {
				t.Errorf("%d spans, want %d", n, tc.spans)
			}
		})
	}
	bs, _ := codectest.DecodeString(DecodeV2, `{"traceId":"1","id":"2","timestamp":1000,"localEndpoint":{"serviceName":"s","ipv4":"10.0.0.01"}}`)
	codectest.WantAttr(t, codectest.AllSpans(bs)[0].Span.Attributes, "network.local.address", model.StringValue("10.0.0.1"))
	bs, _ = codectest.DecodeString(DecodeV1, `[{"traceId":"0000000000000001","id":"0000000000000002","timestamp":1000,"binaryAnnotations":[{"key":"n","value":42}]}]`)
	codectest.WantAttr(t, codectest.AllSpans(bs)[0].Span.Attributes, "n", model.StringValue("42"))
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		dec  codec.Decoder
		in   string
		want []string
	}{
		{"v2 truncated", DecodeV2, "[\n" + v2a + ",\n{\"traceId\":\"1\"", []string{"in.json:3:", "$[1]", "unexpected end of input"}},
		{"v2 syntax", DecodeV2, "[\n" + v2a + ",\n {\"traceId\" \"1\"}]", []string{"in.json:3:13: $[1]: invalid character '\"'"}},
		{"v2 wrong type", DecodeV2, "[\n" + v2a + ",\n" + `{"traceId":"1","id":"2","timestamp":"soon"}]`, []string{"in.json:3:", "$[1].timestamp", "cannot use JSON string"}},
		{"v2 bad trace ID", DecodeV2, `[{"traceId":"xyz","id":"2"}]`, []string{"in.json:1:2: $[0].traceId"}},
		{"v2 missing trace ID", DecodeV2, `[{"id":"2"}]`, []string{"$[0].traceId", "missing or zero"}},
		{"v2 missing id", DecodeV2, `[{"traceId":"1"}]`, []string{"$[0].id"}},
		{"v2 bad parent", DecodeV2, `[{"traceId":"1","id":"2","parentId":"BADID"}]`, []string{"$[0].parentId"}},
		{"v2 bad ip", DecodeV2, `[{"traceId":"1","id":"2","remoteEndpoint":{"ipv4":"999.1.1.1"}}]`, []string{"$[0].remoteEndpoint.ipv4", "999.1.1.1"}},
		{"v2 given v1", DecodeV2, "[" + v1a + "]", []string{"$[0]", "decode it as zipkin-v1"}},
		{"v2 scalar element", DecodeV2, `[1]`, []string{"$[0]", "want a span object"}},
		{"v2 scalar", DecodeV2, `"x"`, []string{"$", "want a span object"}},
		{"v2 empty", DecodeV2, "  ", []string{"empty input"}},
		{"v1 given v2", DecodeV1, "[" + v2a + "]", []string{"$[0]", "decode it as zipkin-v2"}},
		{"v1 nested bad parent", DecodeV1, "[[" + v1a + "],[" + `{"traceId":"0000000000000001","id":"0000000000000002","parentId":"BAD"}` + "]]", []string{"$[1][0].parentId"}},
		{"v1 short trace ID", DecodeV1, `[{"traceId":"1","id":"0000000000000002"}]`, []string{"$[0].traceId", "wrong length"}},
		{"v1 wrong type", DecodeV1, `[{"traceId":"0000000000000001","id":"0000000000000002","annotations":[{"timestamp":"x"}]}]`, []string{"$[0].annotations.timestamp", "cannot use JSON string"}},
		{"v2 timestamp out of range", DecodeV2, `[{"traceId":"1","id":"2","timestamp":9300000000000000000}]`, []string{"$[0].timestamp", "out of range"}},
		{"v1 annotation out of range", DecodeV1, `[{"traceId":"0000000000000001","id":"0000000000000002","annotations":[{"timestamp":9000000000000000000,"value":"sr"}]}]`, []string{"$[0].annotations[0].timestamp", "out of range"}},
		{"v1 truncated", DecodeV1, `[{"traceId":"0000000000000001",`, []string{"in.json:1:", "unexpected end of input"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codectest.DecodeString(tc.dec, tc.in)
			codectest.WantDecodeError(t, err, tc.want)
		})
	}
}

func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("stop")
	err := DecodeV2("in.json", strings.NewReader("["+v2a+"]"), func(codec.Batch) error { return stop })
	if err != stop {
		t.Errorf("err = %v, want stop", err)
	}
}

// Spans are emitted in chunks; the bytes kept for error positions stay
// small however long the array is.
func TestChunksAndMemory(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	const n = 2500
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"traceId":"%016x","id":"%016x","name":"op","timestamp":%d,"duration":3,"localEndpoint":{"serviceName":"svc%d"},"tags":{"k":"%s"}}`, i/10+1, i+1, 1000+i, i%3, strings.Repeat("v", 50))
	}
	b.WriteString("]")
	var d *decoder
	var sizes []int
	maxBuf := 0
	d = &decoder{Stream: jsonpos.NewStream("big.json", strings.NewReader(b.String())), convert: v2Span, emit: func(bt codec.Batch) error {
		n := 0
		for _, rs := range bt {
			for _, ss := range rs.ScopeSpans {
				n += len(ss.Spans)
			}
		}
		sizes = append(sizes, n)
		maxBuf = max(maxBuf, d.Lines().Buffered())
		return nil
	}}
	if err := d.run(); err != nil {
		t.Fatal(err)
	}
	if err := d.finish(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sizes, []int{1000, 1000, 500}) {
		t.Errorf("batch sizes = %v", sizes)
	}
	// Errors late in the stream still have the right line and column.
	_, err := codectest.DecodeString(DecodeV2, b.String()[:b.Len()-1]+",\n  {\"id\": 5}]")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("in.json:%d:3: $[%d]", n+1, n)) {
		t.Errorf("error = %v, want line %d col 3", err, n+1)
	}
	if maxBuf > 16<<10 {
		t.Errorf("kept %d bytes", maxBuf)
	}
}

func fuzzSeeds(f *testing.F) {
	for _, tc := range append(slices.Clone(v1Fixtures), v2Fixtures...) {
		b, err := os.ReadFile(fixtures.Path(f, tc.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	b, err := os.ReadFile(fixtures.Path(f, "opentelemetry-collector/zipkin_v1_error_batch.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("[" + v2a + "," + v1a + "]"))
	// Nesting bombs.
	f.Add([]byte(`[{"traceId":"1","id":"1","tags":{"a":` + codectest.Nested(100_000) + `}}]`))
	f.Add([]byte(`[{"traceId":"0000000000000001","id":"0000000000000001","binaryAnnotations":[{"key":"a","value":` + codectest.Nested(100_000) + `}]}]`))
}

func FuzzDecodeV1(f *testing.F) {
	fuzzSeeds(f)
	codectest.FuzzDecoder(f, DecodeV1)
}

func FuzzDecodeV2(f *testing.F) {
	fuzzSeeds(f)
	codectest.FuzzDecoder(f, DecodeV2)
}

// The OpenTelemetry Zipkin exporter writes span links as otlp.link.N tags
// ("traceID|spanID|tracestate|attributes JSON|dropped"); the translator
// turns them back into links.
func TestV2Links(t *testing.T) {
	in := `{"traceId":"1","id":"2","timestamp":1000,"localEndpoint":{"serviceName":"s"},"tags":{"otlp.link.0":"0102030405060708090a0b0c0d0e0f10|1112131415161718|k=v|{\"a\":\"b\",\"n\":3}|2"}}`
	bs, err := codectest.DecodeString(DecodeV2, in)
	if err != nil {
		t.Fatal(err)
	}
	s := codectest.AllSpans(bs)[0].Span
	if len(s.Links) != 1 {
		t.Fatalf("links = %+v", s.Links)
	}
	l := s.Links[0]
	if l.TraceID.String() != "0102030405060708090a0b0c0d0e0f10" || l.SpanID.String() != "1112131415161718" || l.TraceState != "k=v" || l.DroppedAttributesCount != 2 {
		t.Errorf("link = %+v", l)
	}
	codectest.WantAttr(t, l.Attributes, "a", model.StringValue("b"))
	codectest.WantAttr(t, l.Attributes, "n", model.IntValue(3))
	if _, ok := model.Find(s.Attributes, "otlp.link.0"); ok {
		t.Error("otlp.link.0 kept as an attribute")
	}
}

// Many spans waiting for a span far later in the file neither make every
// later span flush a batch nor get lost: 3,000 pieces come before the
// spans that place them.
func TestManyMissingTimestamps(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	const n = 3000
	for i := range n {
		fmt.Fprintf(&b, `{"traceId":"00000000000000aa","id":"%016x","localEndpoint":{"serviceName":"a"}},`, i+1)
	}
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"traceId":"00000000000000aa","id":"%016x","kind":"SERVER","timestamp":%d,"duration":2,"localEndpoint":{"serviceName":"a"}}`, i+1, 5000+i)
	}
	b.WriteString("]")
	bs, err := codectest.DecodeString(DecodeV2, b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) > 2*n/chunkSize+1 {
		t.Errorf("%d batches for %d spans", len(bs), 2*n)
	}
	all := codectest.AllSpans(bs)
	if len(all) != 2*n {
		t.Fatalf("%d spans, want %d", len(all), 2*n)
	}
	for _, r := range all {
		if r.Span.StartTimeUnixNano < 5000_000 {
			t.Fatalf("span %s %s at %d", r.Span.SpanID, r.Span.Kind, r.Span.StartTimeUnixNano)
		}
	}
}
