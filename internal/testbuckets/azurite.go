package testbuckets

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Azurite's published development account and key (from Azurite's README;
// not a secret).
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azuriteHint tells how to make the Azure backend available.
const azuriteHint = "Azurite not installed: run scripts/test (it installs it), or " +
	"export TRACECTL_AZURITE_DIR=$(scripts/azurite)"

// AzuriteMain returns the path of Azurite's blob service entry point under
// $TRACECTL_AZURITE_DIR, or "" when it is not installed.
func AzuriteMain() string {
	dir := os.Getenv("TRACECTL_AZURITE_DIR")
	if dir == "" {
		return ""
	}
	main := filepath.Join(dir, "node_modules", "azurite", "dist", "src", "blob", "main.js")
	if _, err := os.Stat(main); err != nil {
		return ""
	}
	return main
}

// startAzurite runs Azurite's blob service on a free loopback port for the
// test, in memory and without telemetry, and creates a container: gocloud
// does not create containers.
func startAzurite(t *testing.T) *Backend {
	main := AzuriteMain()
	if main == "" {
		t.Skip(azuriteHint)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("Azurite is installed but node is not on PATH")
	}
	port := freePort(t)
	// node itself, not npx or a shell, so cmd.Process is node's own PID.
	cmd := exec.Command(node, main, "--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(port),
		"--inMemoryPersistence", "--disableTelemetry", "--silent")
	out, exited := startServer(t, "Azurite", cmd)

	host := "127.0.0.1:" + strconv.Itoa(port)
	name := uniqueName("tracectl")
	cc := azureContainer(t, host, name, AzuriteKey)
	// Ready when an authenticated request succeeds: the port opens before
	// the service answers.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		_, err := cc.Create(ctx, nil)
		if err == nil || bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
			break
		}
		select {
		case <-exited:
			t.Fatalf("Azurite exited: %s", out.String())
		case <-ctx.Done():
			t.Fatalf("Azurite on %s not ready after 60s: %v\n%s", host, err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	env := []string{"AZURE_STORAGE_ACCOUNT=" + AzuriteAccount, "AZURE_STORAGE_KEY=" + AzuriteKey}
	bucketURL := func(c string) string { return "azblob://" + c + "?domain=" + host + "&protocol=http" }
	return &Backend{
		URL:         bucketURL(name),
		missingURL:  bucketURL(MissingBucket),
		Env:         env,
		badEnv:      []string{"AZURE_STORAGE_ACCOUNT=" + AzuriteAccount, "AZURE_STORAGE_KEY=" + wrongKey(AzuriteKey)},
		AuthChecked: true,
	}
}

// AzureContainerClient returns an Azure SDK client for the backend's
// container signed with key; tests use it to open the bucket with
// credentials other than the environment's.
func (b *Backend) AzureContainerClient(t *testing.T, key string) *container.Client {
	t.Helper()
	if b.Name != Azure {
		t.Fatalf("AzureContainerClient on %s", b.Name)
	}
	u, err := parseAzblob(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	return azureContainer(t, u.host, u.container, key)
}

func azureContainer(t *testing.T, host, name, key string) *container.Client {
	cred, err := container.NewSharedKeyCredential(AzuriteAccount, key)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := container.NewClientWithSharedKeyCredential(fmt.Sprintf("http://%s/%s/%s", host, AzuriteAccount, name), cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// wrongKey returns a well-formed key (base64 of the same length) that is
// not key.
func wrongKey(key string) string {
	b := []byte(key)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

type azblobURL struct{ host, container string }

// parseAzblob reads the container and domain of an azblob:// URL.
func parseAzblob(raw string) (azblobURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return azblobURL{}, err
	}
	return azblobURL{host: u.Query().Get("domain"), container: u.Host}, nil
}

// WrongAzureKey is a well-formed key that is not Azurite's.
var WrongAzureKey = wrongKey(AzuriteKey)

// stop ends a server started for a test: SIGTERM, then SIGKILL after 10s.
// startServer starts a test server process, which dies with the test
// process, and stops it at cleanup (printing its output if the test
// failed). exited closes when the process ends.
func startServer(t *testing.T, what string, cmd *exec.Cmd) (out *bytes.Buffer, exited <-chan struct{}) {
	out = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", what, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stop(cmd, done)
		if t.Failed() {
			t.Logf("%s output:\n%s", what, out.String())
		}
	})
	return out, done
}

func stop(cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}
