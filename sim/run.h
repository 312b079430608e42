// Run control: build the platform for a scenario, simulate it, write the report.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "platforms/board.h"
#include "platforms/platform.h"
#include "platforms/scenario.h"
#include "platforms/timing_profile.h"
#include "sim/progress_line.h"
#include "sim/report.h"
#include "sim/trace_recorder.h"

namespace ivsim {

struct RunOptions {
  std::string report_path = "ivsim-report.json";  // "" = do not write a report
  bool quiet = false;                             // no summary table on stdout
  bool histograms = false;                        // the summary draws each latency metric's histogram
  ProgressLine::Mode progress = ProgressLine::Mode::off;
  // The timeline (sim/trace_recorder.h): "" = not written.
  std::string trace_path;  // Chrome trace-event JSON
  std::string vcd_path;    // interrupt lines as VCD
  TraceWindow trace_window;
};

// Why a run stopped making progress: when, and what each unfinished
// workload's vCPUs wait for, following the wait-for chain (a vCPU waiting
// for a pCPU, for an I/O request's completion) to its end.
struct StallDiagnosis {
  bool deadlock = false;  // nothing was left to simulate (else: the watchdog fired)
  TimePs at_ps = 0;
  TimePs last_progress_ps = 0;
  struct Blocked {
    std::string workload, role, vcpu;
    unsigned pcpu = 0;
    std::string waits;               // what it waits for
    std::vector<std::string> chain;  // the vCPUs it waits for, in turn, each "name: what it waits for"
  };
  std::vector<Blocked> blocked;
  std::string text() const;  // the multi-line message `ivsim run` prints
};

// A finished simulation: what was built and what the host spent on it.
struct Simulation {
  Board board;
  TimingProfile profile;
  TimingParams timing;     // the profile's first core type: the hypervisor's and device model's
  HostTiming host_timing;  // per pCPU and per pCPU pair
  std::unique_ptr<Platform> platform;
  HostStats host;
  RunCut cut = RunCut::none;
  StallDiagnosis stall;  // when cut == stall
};

// How a platform's run ended.
struct RunOutcome {
  RunCut cut = RunCut::none;
  StallDiagnosis stall;     // when cut == stall
  TimePs simulated_ps = 0;  // the end: the last workload's last progress, or where the run was cut
  double wall_seconds = 0;
};

// Runs an elaborated platform until every workload has finished,
// limits.duration_us is reached, the workloads stall (limits.watchdog_ms
// without progress, or nothing left to simulate) or, with `stop_signals`,
// SIGINT/SIGTERM arrives. `progress` (may be null) is updated on the way.
RunOutcome run_platform(Platform& platform, const RunConfig& limits, ProgressLine* progress, bool stop_signals);

// The report's `run_end` section: why the run ended and, for a stall, the diagnosis.
Json run_end_to_json(const Simulation& sim);

// Resolves board and timing and builds the platform (SystemC elaboration)
// without starting the kernel: what `ivsim show` inspects. Throws ConfigError.
std::unique_ptr<Simulation> elaborate(const Scenario& scenario, const Board* board = nullptr);

// Resolves board and timing, builds the platform and runs it until every
// workload has finished, run.duration_us is reached, the workloads stall
// (run.watchdog_ms without progress, or nothing left to simulate), or a
// SIGINT/SIGTERM arrives (when `options` installs the handlers). Throws
// ConfigError before starting the kernel. `board`, when given, replaces the
// scenario's board (calibration runs on variants of a shipped board).
std::unique_ptr<Simulation> simulate(const Scenario& scenario, const Board* board = nullptr,
                                     const RunOptions* options = nullptr);

// Simulates the scenario in this process (one elaboration per process),
// prints the summary and writes the report. Returns the process exit status:
// 0 every workload completed or the duration ended, 4 stalled, 130 interrupted,
// 1 a guest program failed. Throws ConfigError for input the loader could not
// catch (e.g. an unknown board); nothing is written then.
int run_scenario(const Scenario& scenario, const RunOptions& options);

constexpr int kExitExpectation = 3;  // a Lua script's expect() that failed
constexpr int kExitStalled = 4;
constexpr int kExitInterrupted = 130;

}  // namespace ivsim
