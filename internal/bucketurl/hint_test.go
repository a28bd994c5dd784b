package bucketurl

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestHint covers the cases without a server; internal/backendsuite
// checks the hints for real errors from S3, GCS and Azure emulators.
func TestHint(t *testing.T) {
	tests := []struct {
		url  string
		err  error
		want string // substring; "" = no hint
	}{
		{"s3://b?region=x", errors.New("api error SignatureDoesNotMatch: nope"), "AWS_SECRET_ACCESS_KEY"},
		{"s3://b", errors.New("api error NoSuchBucket: The specified bucket does not exist"), "bucket s3://b does not exist"},
		{"s3://b", errors.New("api error NoSuchKey"), ""},
		{"gs://b", errors.New("googleapi: Error 403: denied"), "GOOGLE_APPLICATION_CREDENTIALS"},
		{"azblob://c?domain=x", errors.New("RESPONSE 403: AuthenticationFailed"), "AZURE_STORAGE_KEY"},
		{"azblob://c", errors.New("ERROR CODE: ContainerNotFound"), "container azblob://c does not exist"},
		// The driver's own words (azcore, azblob) for a token over http and a key that is not base64.
		{"azblob://c?protocol=http", errors.New("list tenant t: blob (code=Unknown): authorized requests are not permitted for non-TLS protected (https) endpoints"), "only a shared key works"},
		{"azblob://c", errors.New("failed azblob.NewSharedKeyCredential: decode account key: illegal base64 data at input byte 8"), "AZURE_STORAGE_KEY is not a storage account key"},
		{"file:///tmp/x", errors.New("RESPONSE 403"), ""},
		{"s3://b", fmt.Errorf("wrapped: %w", errors.New("trace not found")), ""}, // not the bucket's
		{"s3://b", nil, ""},
	}
	for _, tc := range tests {
		got := Hint(tc.url, tc.err)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("Hint(%q, %v) = %q, want %q", tc.url, tc.err, got, tc.want)
		}
	}
}
