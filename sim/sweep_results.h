// A sweep's table: one row per point with its varied values, how its run
// ended and every headline metric of its report. Written as
// DIR/results.json (schema "ivsim-sweep/1") and DIR/results.csv by
// `ivsim sweep` and `ivsim merge`, read by `ivsim plot` and `ivsim compare`.
// Nothing in it depends on the machine, so two machines' slices merge into
// the table one machine would have made.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/sweep_spec.h"

namespace ivsim {

constexpr const char* kSweepSchema = "ivsim-sweep/1";

struct PointResult {
  std::size_t index = 0;
  std::vector<std::string> values;  // one per varied key
  bool ok = false;                  // the run ended with status 0
  int exit_status = 0;
  std::string message;                                  // why it failed ("" when ok)
  std::vector<std::pair<std::string, double>> metrics;  // in the report's order
};

// The headline metrics of a report (ivsim-report/1 or /2): for each
// workload's metric `W.M.count`, `.min`, `.p50`, `.p90`, `.p99`, `.p999`,
// `.max`, `.mean` (ns, but count), and `simulated_ns`.
std::vector<std::pair<std::string, double>> headline_metrics(const Json& report);
// The unit of a headline metric column: "ns", or "" for a count.
std::string metric_unit(const std::string& column);

Json point_to_json(const SweepSpec& spec, const PointResult& p);
PointResult point_from_json(const SweepSpec& spec, const Json& j, const SourceLocation& where);

struct ResultsTable {
  SweepSpec spec;
  std::size_t points_total = 0;
  std::string shard;                // "I-of-N" for one slice, "" for the whole sweep
  std::vector<PointResult> points;  // by index
};

Json results_json(const ResultsTable& t);
std::string results_csv(const ResultsTable& t);
// Reads results.json (or a folder holding one). Throws ConfigError naming the file.
ResultsTable read_results(const std::string& path);

}  // namespace ivsim
