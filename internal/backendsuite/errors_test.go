package backendsuite

import (
	"context"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/bucketurl"
	"github.com/tracectl/tracectl/internal/testbuckets"
)

// TestBucketErrors writes to buckets that cannot take the write (missing
// bucket or container, wrong credentials): ingest must return an error
// naming the object, never panic (gocloud v0.47.0's azureblob writer
// panics when a streamed upload fails), and bucketurl.Hint must say
// what to check.
func TestBucketErrors(t *testing.T) {
	tests := []struct {
		backend string
		kind    string // "missing" or "credentials"
		hint    []string
	}{
		{testbuckets.S3, "missing", []string{"does not exist", "s3://" + testbuckets.MissingBucket}},
		{testbuckets.GCS, "missing", []string{"does not exist", "gs://" + testbuckets.MissingBucket}},
		{testbuckets.Azure, "missing", []string{"container", "does not exist", "create it"}},
		{testbuckets.Azure, "credentials", []string{"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY"}},
		// gofakes3 and fake-gcs-server check no credentials; SeaweedFS
		// does (and creates missing buckets on the fly).
		{testbuckets.SeaweedFS, "credentials", []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}},
	}
	for _, tc := range tests {
		t.Run(tc.backend+" "+tc.kind, func(t *testing.T) {
			ctx := context.Background()
			be := testbuckets.Open(t, tc.backend)
			var bucket *blob.Bucket
			url := be.URL
			switch {
			case tc.kind == "missing":
				url = be.MissingURL()
				bucket = testbuckets.OpenURL(t, url)
			case tc.backend == testbuckets.Azure:
				// The azblob:// opener reads the environment once per
				// process, so the wrong key goes in through the SDK client.
				b, err := azureblob.OpenBucket(ctx, be.AzureContainerClient(t, testbuckets.WrongAzureKey), nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { b.Close() })
				bucket = b
			default:
				for _, kv := range be.BadCredentialsEnv() {
					k, v, _ := strings.Cut(kv, "=")
					t.Setenv(k, v)
				}
				bucket = testbuckets.OpenURL(t, url)
			}
			st := blocks.NewStore(bucket, "tenant-a")
			_, err := ingest.Run(ctx, st, fixturePaths(t), ingest.Options{})
			if err == nil {
				t.Fatal("ingest succeeded")
			}
			if !strings.Contains(err.Error(), "tenant-a/") && !strings.Contains(err.Error(), "list tenant tenant-a:") {
				t.Errorf("error names neither the object nor the tenant listed: %v", err)
			}
			hint := bucketurl.Hint(url, err)
			for _, w := range tc.hint {
				if !strings.Contains(hint, w) {
					t.Errorf("hint %q lacks %q (error: %v)", hint, w, err)
				}
			}
			t.Logf("error: %v\nhint: %s", err, hint)
		})
	}
}
