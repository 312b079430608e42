// The progress line `ivsim run` keeps on stderr during a long run: simulated
// time reached, iterations done per workload, the host speed and, when the
// run has a known end, an ETA. On a terminal it rewrites one line in place
// and appears only once the run has taken about a second; forced on for a
// log (`--progress`), it prints a line every few seconds instead.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

class ProgressLine {
 public:
  enum class Mode { off, terminal, log };

  struct WorkloadProgress {
    std::string name;
    u64 done = 0;
    u64 total = 0;  // 0: unknown
  };
  struct Snapshot {
    TimePs simulated_ps = 0;
    TimePs end_ps = 0;  // 0: no known end in simulated time
    std::vector<WorkloadProgress> workloads;
  };

  // `out` is the stream the line goes to (stderr in `ivsim run`).
  ProgressLine(Mode mode, std::FILE* out);
  ~ProgressLine() { clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Whether an update is due now (cheap: call it often).
  bool due() const;
  void update(const Snapshot& s);
  // Removes the line from a terminal (before the summary is printed).
  void clear();

  // The text of one line, without terminal control (tests).
  static std::string format(const Snapshot& s, double wall_seconds);

 private:
  using Clock = std::chrono::steady_clock;
  Mode mode_;
  std::FILE* out_;
  Clock::time_point start_;
  Clock::time_point last_;
  bool shown_ = false;    // a terminal line is on screen
  bool printed_ = false;  // a line has been printed
};

}  // namespace ivsim
