package bucketurl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcp"
)

// ErrNoCredentials is wrapped by the error of opening a bucket whose
// driver found no credentials at all (not rejected ones: those show up on
// the first request).
var ErrNoCredentials = errors.New("no credentials")

// openGCS opens a gs:// bucket, looking for Application Default
// Credentials first. gocloud's GCS driver does that lookup itself, but
// when it fails it prints "Warning: unable to load GCP Default
// Credentials" on stdout, without a newline (into the output of -o json),
// goes on with empty credentials and fails at the first request with an
// unrelated "private key should be a PEM" error. So: with an emulator the
// driver needs no credentials; a URL asking for anonymous access gets it
// without the lookup; otherwise missing credentials are an error
// (ErrNoCredentials) saying what was looked for, before the driver runs.
func openGCS(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	b, err := openGCSDriver(ctx, u)
	if err != nil {
		return nil, err
	}
	var c *storage.Client
	if b.As(&c) {
		c.SetRetry(gcsRetry...)
	}
	return b, nil
}

// gcsRetry bounds the GCS client's retries of a failed request: by
// default it retries until the context ends, so an unreachable endpoint
// (network down, a wrong STORAGE_EMULATOR_HOST) hung a command for good
// where S3 and Azure fail after 3 retries. Here too: 4 attempts, up to about
// 7 s of backoff (a variable for tests).
var gcsRetry = []storage.RetryOption{storage.WithMaxAttempts(4)}

func openGCSDriver(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	if os.Getenv("STORAGE_EMULATOR_HOST") != "" || os.Getenv("STORAGE_EMULATOR_HOST_GRPC") != "" {
		return blob.OpenBucket(ctx, u.String())
	}
	q := u.Query()
	if anon, _ := strconv.ParseBool(q.Get("anonymous")); anon || q.Get("access_id") == "-" {
		o := &gcsblob.URLOpener{Client: gcp.NewAnonymousHTTPClient(gcp.DefaultTransport())}
		return o.OpenBucketURL(ctx, u)
	}
	if _, err := gcp.DefaultCredentials(ctx); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoCredentials, err)
	}
	return blob.OpenBucket(ctx, u.String())
}

// gcsCredentialsHint says which of the places Application Default
// Credentials are looked for is missing.
func gcsCredentialsHint(name string) string {
	if f := os.Getenv("GOOGLE_APPLICATION_CREDENTIALS"); f != "" {
		return fmt.Sprintf("bucket %s: GOOGLE_APPLICATION_CREDENTIALS=%s cannot be used (see above): point it at a service account key file, or unset it to use gcloud's application default credentials", name, f)
	}
	return fmt.Sprintf("bucket %s: no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, gcloud's file %s does not exist (`gcloud auth application-default login` writes it) and this is not a Google Cloud machine with a service account; set STORAGE_EMULATOR_HOST=host:port for an emulator, or add ?anonymous=true to read a public bucket",
		name, adcFile())
}

// adcFile is where gcloud keeps application default credentials (as
// golang.org/x/oauth2/google looks for them).
func adcFile() string {
	const f = "application_default_credentials.json"
	if runtime.GOOS == "windows" {
		return filepath.Join(os.Getenv("APPDATA"), "gcloud", f)
	}
	home := os.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".config", "gcloud", f)
}

// azureCredentialsHint says which variables the Azure driver lacked: msg
// is the error of a bucket with no account name, or of the
// DefaultAzureCredential the driver falls back to when neither a key, a
// SAS token nor a connection string is set.
func azureCredentialsHint(name, msg string) string {
	account := os.Getenv("AZURE_STORAGE_ACCOUNT")
	if strings.Contains(msg, "AccountName is required") || account == "" && strings.Contains(msg, "DefaultAzureCredential") {
		return "container " + name + ": AZURE_STORAGE_ACCOUNT is not set: set it to the storage account's name, with AZURE_STORAGE_KEY (or AZURE_STORAGE_SAS_TOKEN); or set AZURE_STORAGE_CONNECTION_STRING"
	}
	if os.Getenv("AZURE_STORAGE_KEY") == "" && os.Getenv("AZURE_STORAGE_SAS_TOKEN") == "" &&
		os.Getenv("AZURE_STORAGE_CONNECTION_STRING") == "" && os.Getenv("AZURE_STORAGEBLOB_CONNECTIONSTRING") == "" {
		var missing []string
		for _, v := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"} {
			if os.Getenv(v) == "" {
				missing = append(missing, v)
			}
		}
		who := "no Azure identity was found"
		if len(missing) > 0 {
			who += " (" + strings.Join(missing, ", ") + " not set; no workload or managed identity; no az login)"
		}
		return "container " + name + ": AZURE_STORAGE_ACCOUNT=" + account + " is set, but not AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING, so the driver tried DefaultAzureCredential and " + who + ": set AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or a service principal's AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
	}
	return ""
}
