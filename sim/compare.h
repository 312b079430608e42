// `ivsim compare BASELINE CANDIDATE`: a latency regression check. Reads two
// reports (ivsim-report/1 or /2) or two sweeps' results (ivsim-sweep/1),
// pairs their metrics (and, for sweeps, their points by varied values) and
// gives each a verdict against a tolerance. Higher latency is worse.
#pragma once

#include <string>
#include <vector>

namespace ivsim {

struct CompareOptions {
  std::string baseline, candidate;
  std::string tolerance;             // "p99=5%,max=20%,mean=3ns"; a stat not named may not grow at all
  std::vector<std::string> metrics;  // stats (p99) or columns (W.M.p99); default p50 p90 p99 p999 max mean
  bool json = false;
};

// Exit status of `ivsim compare` when a metric regressed.
constexpr int kExitRegression = 5;

// Prints the table (or JSON) on stdout; returns 0 or kExitRegression.
// Throws ConfigError for bad input or options.
int compare(const CompareOptions& options);

}  // namespace ivsim
