#include "sim/run.h"

#include <chrono>
#include <cstdio>
#include <systemc>

#include "sim/atomic_file.h"

namespace ivsim {

std::unique_ptr<Simulation> elaborate(const Scenario& scenario, const Board* board) {
  // Everything that reads input happens before the kernel starts, so a bad
  // scenario leaves nothing behind.
  auto sim = std::make_unique<Simulation>();
  sim->board = board ? *board : load_board(scenario.board, scenario.where("board"));

  const std::string profile_name =
      scenario.timing_profile.empty() ? sim->board.timing_profile : scenario.timing_profile;
  sim->profile = load_timing_profile(profile_name, scenario.where("timing.profile"));
  apply_timing_overrides(sim->profile, scenario);
  sim->timing = resolve_timing(sim->profile);

  tlm::tlm_global_quantum::instance().set(
      sc_core::sc_time(static_cast<double>(scenario.run.quantum_ns), sc_core::SC_NS));
  sim->platform = std::make_unique<Platform>(scenario, sim->board, sim->timing);
  return sim;
}

std::unique_ptr<Simulation> simulate(const Scenario& scenario, const Board* board) {
  auto sim = elaborate(scenario, board);
  const auto wall_start = std::chrono::steady_clock::now();
  if (scenario.run.duration_us > 0) {
    sc_core::sc_start(sc_core::sc_time(static_cast<double>(scenario.run.duration_us), sc_core::SC_US));
    if (sc_core::sc_time_stamp() >= sc_core::sc_time(static_cast<double>(scenario.run.duration_us), sc_core::SC_US))
      for (const auto& w : sim->platform->workloads()) w->stopped_by_duration = true;
  } else {
    sc_core::sc_start();
  }

  const auto wall_end = std::chrono::steady_clock::now();

  HostStats& host = sim->host;
  host.wall_seconds = std::chrono::duration<double>(wall_end - wall_start).count();
  host.simulated_ps = sc_core::sc_time_stamp().value();
  for (const auto& v : sim->platform->vcpus()) {
    host.accesses += v->counters().loads + v->counters().stores;
    host.simulated_ps = std::max<TimePs>(host.simulated_ps, v->now_ps());
  }
  return sim;
}

int run_scenario(const Scenario& scenario, const RunOptions& options) {
  const auto sim = simulate(scenario);
  Platform& platform = *sim->platform;

  const Json report = build_report(platform, sim->profile, sim->host);
  if (!options.report_path.empty()) write_file_atomic(options.report_path, report.dump(2) + "\n");
  if (!options.quiet) {
    std::fputs(summary_table(report).c_str(), stdout);
    if (!options.report_path.empty()) std::printf("report: %s\n", options.report_path.c_str());
  }

  int status = 0;
  for (const auto& w : platform.workloads()) {
    const std::string st = w->status();
    if (st == "completed" || st == "stopped") continue;
    for (const auto& role : w->roles) {
      if (!role.error.empty())
        std::fprintf(stderr, "ivsim: workload %s role %s failed: %s\n", w->config->name.c_str(), role.role.c_str(),
                     role.error.c_str());
      else if (!role.vcpu->finished())
        std::fprintf(stderr, "ivsim: workload %s role %s never finished (%s)\n", w->config->name.c_str(),
                     role.role.c_str(), role.vcpu->waiting_on().c_str());
    }
    if (st == "failed") status = 1;
  }
  return status;
}

}  // namespace ivsim
