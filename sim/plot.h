// `ivsim plot`: figures from a sweep's results (a metric against a varied
// field, one line per group) or from one run's report (a metric's latency
// histogram), drawn by matplotlib (Debian's python3-matplotlib) as PNG or
// SVG. ivsim picks the data, labels, units and scales; the Python side only
// draws (sim/plot_script.cpp).
#pragma once

#include <string>
#include <vector>

namespace ivsim {

struct PlotOptions {
  std::string input;               // a sweep's results.json (or its folder), or a run's report with --histogram
  std::string x, y;                // a varied key and a metric column
  std::vector<std::string> group;  // varied keys whose combinations make the lines
  std::vector<std::string> where;  // key=value: only those points
  bool error_bars = false;         // bars from the metric's p50 to its p99
  std::string histogram;           // WORKLOAD.METRIC (or METRIC) of a report
  std::string title;
  std::string out;  // FILE.png or FILE.svg
};

// Draws the figure and writes it atomically. Throws ConfigError for bad
// options or input; std::runtime_error when the plotting tool is missing
// or fails.
void plot(const PlotOptions& options);

// The program python3 runs: reads the figure's JSON description (argv[1])
// and saves it (argv[2]).
extern const char* const kPlotScript;

}  // namespace ivsim
