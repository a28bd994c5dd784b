// Package compact merges a tenant's small blocks into larger ones and
// retires old blocks, safely enough to run from cron against a bucket that
// ingest (and Tempo) use at the same time.
//
// # Planning
//
// Plan works from meta.json (and rewrite.json) alone, like Tempo's
// time-window block selector: blocks are grouped by time window
// (floor(EndTime / Window)), format, replication factor and rewrite mark,
// and — for active windows, those ending within
// ActiveWindow (24h) of now — by compaction level too; older windows merge
// blocks of any level, and the window at the boundary is left alone for
// the hour. Within a group, runs of 2..MaxInputs blocks ordered by start
// time are merged as long as their sizes add up to at most MaxBlockBytes
// and their traces to at most MaxObjects. The output's level is the
// highest input level plus one. Unlike Tempo, blocks with different
// dedicated columns merge: every trace is decoded and written again, and
// the output keeps the union of the inputs' dedicated columns (at most ten
// per scope; the largest input's first), so no attribute is lost or stored
// twice and every dedicated column stays dedicated while the cap allows.
//
// # Protocol
//
// Every step leaves the bucket in a state where each span is readable
// (readers merge copies of a trace found in several live blocks and drop
// duplicate spans):
//
//  1. The output block is written with blocks.BlockWriter: rewrite.json
//     first, recording the input block IDs (CompactedFrom), then the data,
//     bloom shards and index, and meta.json last. Until meta.json exists
//     readers see only the inputs.
//  2. Each input is retired with blocks.Store.MarkCompacted
//     (meta.compacted.json, then meta.json deleted). Between 1 and 2 the
//     spans are on disk twice and read once.
//  3. Compacted blocks whose compactedTime is older than
//     CompactedRetention are deleted (meta.compacted.json last), so that
//     a reader that listed blocks before step 2 can finish.
//
// A run first repairs what an interrupted one left: a live block whose
// rewrite.json names inputs that are still live gets those inputs retired
// (step 2 again, instead of merging the same spans twice), a block with
// both meta.json and meta.compacted.json has its retirement finished, and
// an orphan output (rewrite.json with inputs but no meta.json) is deleted
// once none of its inputs is live (they were merged again) and it has been
// untouched for CompactedRetention.
//
// # Damaged blocks
//
// A block whose data.parquet footer does not open is left out of the plan
// (the other blocks are planned without it). Damage inside a page is only
// met while merging: that merge aborts its output and retires nothing, its
// group is planned again without the damaged block and merged, and the
// other merges go on. The damaged block stays live and untouched;
// blocks.Store.Damaged names it.
//
// # Overlapping runs
//
// There is no lease. Output block IDs are random, so two runs never write
// the same object, and a run only retires a block after writing an output
// holding every trace it read from it. Two runs that pick the same inputs
// both write an output; the spans are then stored twice and read once,
// and the next run merges the two outputs (same window and level). A block
// a concurrent run retired stays readable for CompactedRetention, which
// must exceed the longest run.
//
// # Retention
//
// Retain marks live blocks whose EndTime is older than OlderThan compacted
// and deletes compacted blocks after CompactedRetention, with the same
// two steps.
package compact
