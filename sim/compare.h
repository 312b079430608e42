// `ivsim compare BASELINE CANDIDATE`: a latency regression check. Reads two
// reports (ivsim-report/1 or /2) or two sweeps' results (ivsim-sweep/1),
// pairs their metrics (and, for sweeps, their points by varied values) and
// gives each a verdict against a tolerance. Higher latency is worse.
//
// With noise on, one run is one sample of the seeded jitter, so each side
// may be several runs of one scenario with different seeds (a folder of
// reports, or repeated --baseline/--candidate). A statistic then regresses
// only when the candidate's minimum over its seeds exceeds the baseline's
// maximum over its seeds by more than the tolerance: a change within the
// seed-to-seed spread is noise, not a regression.
#pragma once

#include <string>
#include <vector>

namespace ivsim {

struct CompareOptions {
  // Each side: report files, sweep results (file or folder), or folders of
  // reports (every *.json), all runs of one scenario. One entry per side
  // compares exactly as a single run always did.
  std::vector<std::string> baseline, candidate;
  std::string tolerance;             // "p99=5%,max=20%,mean=3ns"; a stat not named may not grow at all
  std::vector<std::string> metrics;  // stats (p99) or columns (W.M.p99); default p50 p90 p99 p999 max mean
  bool json = false;
  std::string junit;  // FILE.xml: one JUnit testcase per compared row, a <failure> per regression
};

// Exit status of `ivsim compare` when a metric regressed.
constexpr int kExitRegression = 5;

// Prints the table (or JSON) on stdout; returns 0 or kExitRegression.
// Throws ConfigError for bad input or options.
int compare(const CompareOptions& options);

}  // namespace ivsim
