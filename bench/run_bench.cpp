// Whole-run benchmark: the shipped default scenario, timed on the host, then
// a raw TLM loop (memcpy from a DMI pointer plus a quantum-keeper increment)
// doing as many accesses in the same process. Prints wall time per simulated
// time and the run's access rate as a ratio of the raw loop's.
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn
#include <systemc>

#include <tlm_utils/tlm_quantumkeeper.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "platforms/data_dir.h"
#include "sim/run.h"
#include "sim/scenario_loader.h"

using namespace ivsim;

int sc_main(int, char**) {
  const Scenario scenario = load_scenario_file(default_scenario_path(), {});
  const auto sim = simulate(scenario);
  const HostStats& h = sim->host;
  const double sim_s = static_cast<double>(h.simulated_ps) * 1e-12;

  // Baseline: the same number of accesses as a bare DMI loop.
  const Hpa hpa = sim->platform->hypervisor().ivshmem_pool()->regions()[0].hpa;
  const u8* page = sim->platform->host_memory().page(hpa);
  const auto l1 = sc_core::sc_time::from_value(sim->timing.l1_hit_ps);
  double raw_seconds = 0;
  sc_core::sc_spawn([&] {
    tlm_utils::tlm_quantumkeeper qk;
    qk.reset();
    u64 sum = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (u64 i = 0; i < h.accesses; ++i) {
      u64 v;
      std::memcpy(&v, page + ((i * 8) & 0xFF8), sizeof v);
      sum += v;
      qk.inc(l1);
      if (qk.need_sync()) qk.sync();
    }
    raw_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sum & 1));
    // The platform still has events pending after the run, so sc_start()
    // would not return: stop here.
    sc_core::sc_stop();
  });
  sc_core::sc_start();

  const double run_rate = static_cast<double>(h.accesses) / h.wall_seconds;
  const double raw_rate = static_cast<double>(h.accesses) / raw_seconds;
  std::printf("default scenario: %.3f ms simulated in %.3f s wall: wall/simulated = %.1f\n", sim_s * 1e3,
              h.wall_seconds, h.wall_seconds / sim_s);
  std::printf("guest accesses: %llu, %.2f M/s (raw TLM+DMI loop: %.2f M/s); ratio raw/run = %.1f\n",
              static_cast<unsigned long long>(h.accesses), run_rate / 1e6, raw_rate / 1e6, raw_rate / run_rate);
  return 0;
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
