// `ivsim sweep`: runs every point of a sweep (sim/sweep_spec.h) as its own
// `ivsim run` process, the same binary fork/exec'd, so each point gets the
// one SystemC elaboration a process allows; up to --jobs at a time. A
// point's record (DIR/points/NNNN.json) is written when its run ends, so a
// re-run skips finished points; a failed or stalled point is recorded with
// its exit status and message and the others go on.
#pragma once

#include <string>
#include <vector>

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
  // The binary each point runs as `PROGRAM run ...`; empty: this ivsim
  // (/proc/self/exe). Tests give a stand-in that shows what a point receives.
  std::string program;
};

// Exit status of `ivsim sweep` and `ivsim merge` when the table holds a
// failed point (or, for merge, lacks one).
constexpr int kExitPointsFailed = 6;

// Runs the sweep and writes DIR/results.json and .csv (for a slice,
// results.shard-I-of-N.*). Returns 0 when every point of the slice
// succeeded, kExitPointsFailed when one failed, 130 when interrupted.
// Throws ConfigError for an unusable --out.
int run_sweep(const SweepOptions& options);

// The environment of a point's `ivsim run`: the parent's, plus the glibc
// tunable that backs the allocator's large blocks with transparent huge pages
// unless the parent sets GLIBC_TUNABLES itself. At load, libsystemc
// allocates and clears a 3 MiB scratch heap (sc_temp_heap); page by page that
// is about 770 page faults, 7-8 ms of every point's start-up on the
// development machine (docs/sweeps.md). A run's results do not depend on
// where its memory lies.
std::vector<std::string> sweep_point_environment(char** parent);

// The message a failed run left: its error line from the point's log.
std::string failure_message(const std::string& log);

}  // namespace ivsim
