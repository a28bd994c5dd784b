package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoCredentialsCLI runs tracectl in a clean environment (PATH and an
// empty HOME only) against gs:// and azblob:// buckets: exit 2, nothing on
// stdout (gocloud's GCS driver used to print a warning there, without a
// newline), the error and one line saying which variable or file is
// missing.
func TestNoCredentialsCLI(t *testing.T) {
	tests := []struct {
		name   string
		bucket string
		env    []string
		want   []string // stderr lines, as prefixes
	}{
		{"gcs", "gs://tracectl-test", nil, []string{
			`tracectl: open bucket "gs://tracectl-test": no credentials: google: could not find default credentials.`,
			"tracectl: bucket gs://tracectl-test: no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, gcloud's file {home}/.config/gcloud/application_default_credentials.json does not exist",
		}},
		{"gcs key file missing", "gs://tracectl-test", []string{"GOOGLE_APPLICATION_CREDENTIALS={home}/sa.json"}, []string{
			`tracectl: open bucket "gs://tracectl-test": no credentials: google: error getting credentials using GOOGLE_APPLICATION_CREDENTIALS environment variable: open {home}/sa.json: no such file or directory`,
			"tracectl: bucket gs://tracectl-test: GOOGLE_APPLICATION_CREDENTIALS={home}/sa.json cannot be used (see above)",
		}},
		{"azure", "azblob://traces", nil, []string{
			`tracectl: open bucket "azblob://traces": azureblob: Options.AccountName is required`,
			"tracectl: container azblob://traces: AZURE_STORAGE_ACCOUNT is not set: set it to the storage account's name, with AZURE_STORAGE_KEY (or AZURE_STORAGE_SAS_TOKEN); or set AZURE_STORAGE_CONNECTION_STRING",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			fill := func(s string) string { return strings.ReplaceAll(s, "{home}", home) }
			cmd := exec.Command("tracectl", "--bucket", tc.bucket, "blocks", "ls", "-o", "json")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
			for _, kv := range tc.env {
				cmd.Env = append(cmd.Env, fill(kv))
			}
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitError {
				t.Fatalf("err %v, want exit %d; stderr:\n%s", err, exitError, errb.String())
			}
			if out.Len() > 0 {
				t.Errorf("stdout: %q", out.String())
			}
			lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines on stderr, want %d:\n%s", len(lines), len(tc.want), errb.String())
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], fill(w)) {
					t.Errorf("line %d:\n got %s\nwant %s...", i+1, lines[i], fill(w))
				}
			}
		})
	}
}

// A DefaultAzureCredential error (what the Azure driver gives with an
// account but no key) is shown on one line: the credentials tried and the
// statuses, not the HTTP dumps.
func TestCondenseAzureIdentityError(t *testing.T) {
	in := "list single-tenant/f: blob (code=Unknown): DefaultAzureCredential: failed to acquire a token.\n" +
		"Attempted credentials:\n" +
		"\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID\n" +
		"\tWorkloadIdentityCredential: no client ID specified. Check pod configuration or set ClientID in the options\n" +
		"\tManagedIdentityCredential authentication failed. \n" +
		"\t\tGET http://169.254.169.254/metadata/identity/oauth2/token\n" +
		"\t\t--------------------------------------------------------------------------------\n" +
		"\t\tRESPONSE 403: 403 Forbidden\n" +
		"\t\t--------------------------------------------------------------------------------\n" +
		"\t\tresolve_deny: denied destination\n" +
		"\t\t--------------------------------------------------------------------------------\n" +
		"\t\tTo troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#managed-id"
	want := "list single-tenant/f: blob (code=Unknown): DefaultAzureCredential: failed to acquire a token.; " +
		"EnvironmentCredential: missing environment variable AZURE_TENANT_ID; " +
		"WorkloadIdentityCredential: no client ID specified. Check pod configuration or set ClientID in the options; " +
		"ManagedIdentityCredential authentication failed.; RESPONSE 403: 403 Forbidden"
	if got := condenseError(in); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
