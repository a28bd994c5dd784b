package bucketurl

import (
	"errors"
	"net/url"
	"strings"

	"gocloud.dev/gcerrors"
)

// credentialMarkers are error codes and status texts the S3, GCS and Azure
// services and SDKs use for missing or rejected credentials.
var credentialMarkers = []string{
	"AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
	"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "ExpiredToken", "InvalidToken",
	"RESPONSE 401", "RESPONSE 403", "StatusCode: 401", "StatusCode: 403", "Error 401", "Error 403",
	"failed to retrieve credentials", "failed to refresh cached credentials", "could not find default credentials",
	"DefaultAzureCredential",
}

// missingMarkers are what the services say when the bucket or container
// itself does not exist.
var missingMarkers = []string{"NoSuchBucket", "ContainerNotFound", "bucket doesn't exist", "The specified bucket does not exist"}

// Hint says what to check when err, from an operation on the bucket
// at rawURL, looks like rejected credentials or a missing bucket: which
// bucket, which environment variables its driver reads, whether it must
// be created first. It returns "" for other errors.
func Hint(rawURL string, err error) string {
	if err == nil {
		return ""
	}
	u, perr := url.Parse(rawURL)
	if perr != nil {
		return ""
	}
	msg := err.Error()
	code := gcerrors.Code(err)
	missing := containsAny(msg, missingMarkers)
	creds := code == gcerrors.PermissionDenied || containsAny(msg, credentialMarkers)
	name := u.Scheme + "://" + u.Host
	switch u.Scheme {
	case "s3":
		switch {
		case missing:
			return "bucket " + name + " does not exist (check its name, region and endpoint; tracectl does not create buckets)"
		case creds:
			return "bucket " + name + ": credentials rejected or missing; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE / AWS_SHARED_CREDENTIALS_FILE) and the bucket's region"
		}
	case "gs":
		switch {
		case errors.Is(err, ErrNoCredentials):
			return gcsCredentialsHint(name)
		// A missing object reads as "object doesn't exist"; any other
		// NotFound (an upload's 404, a listing) is the bucket's.
		case missing || code == gcerrors.NotFound && !strings.Contains(msg, "object doesn't exist"):
			return "bucket " + name + " does not exist (check its name; tracectl does not create buckets)"
		case creds:
			return "bucket " + name + ": credentials rejected or missing; check GOOGLE_APPLICATION_CREDENTIALS (Application Default Credentials, `gcloud auth application-default login`) or STORAGE_EMULATOR_HOST for an emulator"
		}
	case "azblob":
		switch {
		case strings.Contains(msg, "non-TLS protected (https) endpoints"):
			// A token credential (no key) over an http:// endpoint.
			return "container " + name + ": over http:// (protocol=http, an emulator) only a shared key works: set AZURE_STORAGE_KEY (Azurite's is published), or use https"
		case strings.Contains(msg, "decode account key"):
			return "container " + name + ": AZURE_STORAGE_KEY is not a storage account key (base64, as the portal or `az storage account keys list` shows it)"
		}
		if strings.Contains(msg, "AccountName is required") || strings.Contains(msg, "DefaultAzureCredential") {
			if h := azureCredentialsHint(name, msg); h != "" {
				return h
			}
		}
		switch {
		case missing:
			return "container " + name + " does not exist: create it first (tracectl does not create containers), or check the container name and AZURE_STORAGE_ACCOUNT"
		case creds:
			return "container " + name + ": credentials rejected or missing; check AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY (or AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING)"
		}
	}
	return ""
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
