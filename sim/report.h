// The run report (schema "ivsim-report/2"): the resolved scenario, latency
// histograms with their breakdowns, per-VM and per-region counters, and a
// separate `host` section, the only part that depends on the machine.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "platforms/platform.h"
#include "platforms/timing_profile.h"

namespace ivsim {

using Json = nlohmann::ordered_json;

// /2 added `histogram` to each metric; every field of /1 is unchanged.
constexpr const char* kReportSchema = "ivsim-report/2";

struct HostStats {
  double wall_seconds = 0;
  TimePs simulated_ps = 0;
  u64 accesses = 0;  // guest loads and stores simulated
  // vCPU hand-offs to the SystemC kernel at synchronisation points, and the
  // points passed without one (models/cpu/run_ahead.h); they depend on the
  // kernel's slicing, so on the host's speed.
  u64 synchronisations = 0;
  u64 synchronisations_skipped = 0;
  u64 polls_woken_early = 0;  // polls asleep ahead of the kernel, woken before their own time
};

Json scenario_to_json(const Scenario& s);
Json timing_profile_to_json(const TimingProfile& p);
// `run_end`: why the run ended (sim/run.h run_end_to_json); null leaves it out.
Json build_report(Platform& platform, const TimingProfile& profile, const HostStats& host,
                  const Json& run_end = Json());

// The human summary printed after a run, from the report (sim/summary.cpp).
// `histograms`: under each latency metric, its distribution as text bars.
std::string summary_table(const Json& report, bool histograms = false);

}  // namespace ivsim
