package ingest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// TestS3Bucket ingests into an S3 bucket (gofakes3, in process) through an
// ordinary s3:// URL and looks a trace up again: the block layout and the
// atomic-write protocol work on object storage, not only on files.
func TestS3Bucket(t *testing.T) {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	if err := backend.CreateBucket("tracectl-test"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	url := "s3://tracectl-test?endpoint=" + srv.URL + "&use_path_style=true&region=us-east-1&response_checksum_validation=when_required"

	ctx := context.Background()
	bucket, err := blocks.OpenBucket(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	st := blocks.NewStore(bucket, "single-tenant")
	res, err := Run(ctx, st, []string{fixtures.Path(t, "zipkin/v2"), fixtures.Path(t, "jaeger/skills")}, Options{MaxBlockTraces: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Blocks) < 3 {
		t.Fatalf("%d blocks written, want several", len(res.Blocks))
	}
	infos, err := st.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spans := int64(0)
	for _, bi := range infos {
		spans += bi.Spans
	}
	if len(infos) != len(res.Blocks) || spans != int64(res.Spans) {
		t.Fatalf("listed %d blocks / %d spans, wrote %d / %d", len(infos), spans, len(res.Blocks), res.Spans)
	}
	id, _ := model.ParseTraceID("a03ee8fff1dcd9b9")
	tr, err := st.FindTrace(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if tr.SpanCount() != 16 {
		t.Fatalf("trace has %d spans, want 16", tr.SpanCount())
	}
	rep, err := st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify on S3: %+v", rep)
	}
}
