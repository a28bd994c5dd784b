package blocks

import "time"

// SetTimeSlack sets how coarse readers take an object store's modification
// times to be (default 1 s: S3 and Azure list them to the second) and
// returns a function that restores the old value. For tests over mem://,
// whose times are exact: a reader that saw a block retired while it listed
// then waits milliseconds instead of seconds before listing again. Not
// safe while a read runs.
func SetTimeSlack(d time.Duration) (restore func()) {
	old := storeTimeSlack
	storeTimeSlack = d
	return func() { storeTimeSlack = old }
}
