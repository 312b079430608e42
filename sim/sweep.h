// `ivsim sweep`: runs every point of a sweep (sim/sweep_spec.h) as its own
// `ivsim run` process, the same binary fork/exec'd, so each point gets the
// one SystemC elaboration a process allows; up to --jobs at a time. A
// point's record (DIR/points/NNNN.json) is written when its run ends, so a
// re-run skips finished points; a failed or stalled point is recorded with
// its exit status and message and the others go on.
#pragma once

#include <string>

#include "sim/sweep_spec.h"

namespace ivsim {

struct SweepOptions {
  SweepSpec spec;
  std::string out_dir;
  unsigned jobs = 0;  // 0 = one per online core
  Shard shard;
  bool retry_failed = false;  // run again the points recorded as failed
  bool progress_log = false;  // a progress line per finished point even when stderr is not a terminal
  bool quiet = false;         // no progress at all, no summary
};

// Exit status of `ivsim sweep` and `ivsim merge` when the table holds a
// failed point (or, for merge, lacks one).
constexpr int kExitPointsFailed = 6;

// Runs the sweep and writes DIR/results.json and .csv (for a slice,
// results.shard-I-of-N.*). Returns 0 when every point of the slice
// succeeded, kExitPointsFailed when one failed, 130 when interrupted.
// Throws ConfigError for an unusable --out.
int run_sweep(const SweepOptions& options);

// The message a failed run left: its error line from the point's log.
std::string failure_message(const std::string& log);

}  // namespace ivsim
