// Run control: build the platform for a scenario, simulate it, write the report.
#pragma once

#include <memory>
#include <string>

#include "platforms/board.h"
#include "platforms/platform.h"
#include "platforms/scenario.h"
#include "platforms/timing_profile.h"
#include "sim/report.h"

namespace ivsim {

struct RunOptions {
  std::string report_path = "ivsim-report.json";  // "" = do not write a report
  bool quiet = false;                             // no summary table on stdout
};

// A finished simulation: what was built and what the host spent on it.
struct Simulation {
  Board board;
  TimingProfile profile;
  TimingParams timing;
  std::unique_ptr<Platform> platform;
  HostStats host;
};

// Resolves board and timing and builds the platform (SystemC elaboration)
// without starting the kernel: what `ivsim show` inspects. Throws ConfigError.
std::unique_ptr<Simulation> elaborate(const Scenario& scenario, const Board* board = nullptr);

// Resolves board and timing, builds the platform and runs it to the end
// (event starvation). Throws ConfigError before starting the kernel.
// `board`, when given, replaces the scenario's board (calibration runs on
// variants of a shipped board).
std::unique_ptr<Simulation> simulate(const Scenario& scenario, const Board* board = nullptr);

// Simulates the scenario to completion in this process (one elaboration per
// process). Returns the process exit status. Throws ConfigError for input the
// loader could not catch (e.g. an unknown board); nothing is written then.
int run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace ivsim
