package blocks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// claimObject is written first into the folder of a block written with
// WriteOptions.Claim, only if the folder has none. Readers and Tempo
// ignore it; it is deleted with the block.
const claimObject = "claim.json"

// ErrBlockClaimed is returned by NewBlockWriter with WriteOptions.Claim
// when the block's folder already holds a claim.
var ErrBlockClaimed = errors.New("the block's folder is claimed by another writer")

// claimNote is what a claim says about its writer (for people looking
// into a bucket).
type claimNote struct {
	Writer string    `json:"writer"` // a random ID of this writer
	Host   string    `json:"host,omitempty"`
	PID    int       `json:"pid"`
	Time   time.Time `json:"time"`
}

// claim writes the block's claim object unless one exists.
func (w *BlockWriter) claim() error {
	host, _ := os.Hostname()
	note, _ := json.Marshal(claimNote{Writer: uuid.NewString(), Host: host, PID: os.Getpid(), Time: time.Now().UTC()})
	key := w.key(claimObject)
	err := uploadWith(w.ctx, w.store.bucket, key, bytes.NewReader(note), &blob.WriterOptions{ContentType: contentType, IfNotExist: true})
	if gcerrors.Code(err) == gcerrors.Unimplemented {
		// A store without conditional writes (some S3-compatible
		// servers): the claim is then only a note.
		err = uploadWith(w.ctx, w.store.bucket, key, bytes.NewReader(note), &blob.WriterOptions{ContentType: contentType})
	}
	if gcerrors.Code(err) == gcerrors.FailedPrecondition {
		return fmt.Errorf("%s: %w", key, ErrBlockClaimed)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	w.written = append(w.written, key)
	return nil
}
