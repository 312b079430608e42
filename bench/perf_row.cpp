// One row of the speed table (`ivsim_perf`, bench/perf_table.cpp), measured
// in a process of its own (one SystemC elaboration per process). Prints one
// JSON object: what was measured and, where the row has one, the baseline it
// is judged against, measured here too.
//
//   floor  a timed sc_event hand-off between two SC_THREADs (ns)
//   raw    a raw TLM DMI loop: memcpy from a DMI pointer + quantum keeper (ns per access)
//   p1     the default scenario with notify: doorbell
//   p2     the default scenario (polling)
//   p1-once, p2-once  the same with one round trip: the bring-up, which
//          the table takes out of the cost per round trip
//   p3     8-byte loads and stores through the vCPU, and the raw loop, in one process
//   p4     64 MiB through an IVSHMEM region (library/bulk.yaml)
//   p5     a whole-run scenario's host time per guest access (large / default)
//   p6     8 hv-land regions of 512 MiB: peak RSS and the host pages touched
//   p7     loading and elaborating the default scenario
//   faults the cost of first touching fresh memory, per 4 KiB page: mapped a
//          page at a time, and through the model's 2 MiB chunks (ChunkArena)
//   run    any scenario, with FIELD=VALUE overrides as --set takes them: what
//          p1/p2 report (`run platforms/scenarios/default.yaml 'workloads[0].params.iterations=1'`)
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn
#include <systemc>

#include <sys/mman.h>
#include <sys/resource.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/bench_world.h"
#include "models/core/chunk_arena.h"
#include "platforms/data_dir.h"
#include "sim/run.h"
#include "sim/scenario_loader.h"

using namespace ivsim;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

nlohmann::json floor_handoff() {
  // Two threads passing a token with timed notifications: the kernel's cost
  // of one hand-off, which every simulated interaction pays at least once.
  constexpr u64 kN = 2'000'000;
  sc_core::sc_event a, b;
  double seconds = 0;
  sc_core::sc_spawn([&] {
    const auto t0 = Clock::now();
    for (u64 i = 0; i < kN / 2; ++i) {
      b.notify(sc_core::sc_time(1, sc_core::SC_NS));
      sc_core::wait(a);
    }
    seconds = seconds_since(t0);
  });
  sc_core::sc_spawn([&] {
    for (u64 i = 0; i < kN / 2; ++i) {
      sc_core::wait(b);
      a.notify(sc_core::sc_time(1, sc_core::SC_NS));
    }
  });
  sc_core::sc_start();
  return {{"ns", seconds * 1e9 / kN}};
}

double raw_loop_ns(const u8* page, TimePs l1_ps, u64 n) {
  const auto l1 = sc_core::sc_time::from_value(l1_ps);
  tlm_utils::tlm_quantumkeeper qk;
  qk.reset();
  u64 sum = 0;
  const auto t0 = Clock::now();
  for (u64 i = 0; i < n; ++i) {
    u64 v;
    std::memcpy(&v, page + ((i * 8) & 0xFF8), sizeof v);
    sum += v;
    qk.inc(l1);
    if (qk.need_sync()) qk.sync();
  }
  const double s = seconds_since(t0);
  if (sum == 42) std::fprintf(stderr, " ");  // keep the loads
  return s * 1e9 / static_cast<double>(n);
}

nlohmann::json access_path() {
  bench::World w;
  constexpr u64 kN = 20'000'000;
  const u8* page = w.platform->host_memory().page(w.platform->hypervisor().ivshmem_pool()->regions()[0].hpa);
  double load_ns = 0, store_ns = 0, raw_ns = 0;
  sc_core::sc_spawn([&] {
    raw_ns = raw_loop_ns(page, w.timing.l1_hit_ps, kN);
    u64 sum = 0;
    auto t0 = Clock::now();
    for (u64 i = 0; i < kN; ++i) sum += w.cpu->load<u64>(w.shm + ((i * 8) & 0xFF8));
    load_ns = seconds_since(t0) * 1e9 / kN;
    t0 = Clock::now();
    for (u64 i = 0; i < kN; ++i) w.cpu->store<u64>(w.shm + ((i * 8) & 0xFF8), i);
    store_ns = seconds_since(t0) * 1e9 / kN;
    if (sum == 42) std::fprintf(stderr, " ");
  });
  sc_core::sc_start();
  return {{"load_ns", load_ns}, {"store_ns", store_ns}, {"raw_ns", raw_ns}};
}

nlohmann::json whole_run(const std::string& path, const std::vector<std::string>& sets) {
  const Scenario s = load_scenario_file(path, sets);
  RunOptions quiet;
  quiet.report_path = "";
  quiet.quiet = true;
  const auto sim = simulate(s, nullptr, &quiet);
  // Round trips only: the ping-pong also records each one-way latency (two
  // per round trip) in metrics of their own.
  u64 round_trips = 0;
  for (const auto& w : sim->platform->workloads())
    for (const auto& m : w->metrics.metrics())
      if (m->name == "round_trip") round_trips += m->histogram.count();
  return {{"wall_s", sim->host.wall_seconds},
          {"simulated_s", static_cast<double>(sim->host.simulated_ps) * 1e-12},
          {"accesses", sim->host.accesses},
          {"round_trips", round_trips},
          {"peak_rss_mib", peak_rss_mib()},
          {"touched_mib", static_cast<double>(sim->platform->host_memory().resident_pages()) * 4096 / (1 << 20)}};
}

nlohmann::json first_touch() {
  // 16 MiB each way, one write per 4 KiB page: what a run pays for the host
  // pages, line states and page tables it creates as it goes.
  constexpr std::size_t kBytes = std::size_t{16} << 20, kPages = kBytes / kPageSize4K;
  void* raw = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  auto* bytes = static_cast<volatile u8*>(raw);
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < kBytes; i += kPageSize4K) bytes[i] = 1;
  const double small_ns = seconds_since(t0) * 1e9 / kPages;
  munmap(raw, kBytes);
  ChunkArena arena(kPageSize4K, kCacheLineBytes);
  t0 = Clock::now();
  for (std::size_t i = 0; i < kPages; ++i) *static_cast<volatile u8*>(arena.allocate()) = 1;
  const double chunk_ns = seconds_since(t0) * 1e9 / kPages;
  return {{"page_ns", small_ns}, {"chunk_ns", chunk_ns}};
}

nlohmann::json elaboration() {
  const auto t0 = Clock::now();
  const Scenario s = load_scenario_file(default_scenario_path(), {});
  const auto sim = elaborate(s);
  return {{"ms", seconds_since(t0) * 1e3}};
}

}  // namespace

int sc_main(int argc, char** argv) {
  const std::string row = argc > 1 ? argv[1] : "";
  const std::string data = data_dir();
  nlohmann::json out;
  if (row == "floor") {
    out = floor_handoff();
  } else if (row == "p1") {
    out = whole_run(default_scenario_path(), {"workloads[0].params.notify=doorbell"});
  } else if (row == "p1-once") {
    out =
        whole_run(default_scenario_path(), {"workloads[0].params.notify=doorbell", "workloads[0].params.iterations=1"});
  } else if (row == "p2") {
    out = whole_run(default_scenario_path(), {});
  } else if (row == "p2-once") {
    out = whole_run(default_scenario_path(), {"workloads[0].params.iterations=1"});
  } else if (row == "p3") {
    out = access_path();
  } else if (row == "p4") {
    out = whole_run(data + "/scenarios/library/bulk.yaml", {"workloads[0].params.total_bytes=67108864"});
  } else if (row == "p5") {
    out = whole_run(data + "/scenarios/large.yaml", {});
  } else if (row == "p6") {
    std::vector<std::string> sets;
    for (int i = 0; i < 8; ++i) sets.push_back("ivshmem[" + std::to_string(i) + "].size_mib=512");
    out = whole_run(data + "/scenarios/large.yaml", sets);
  } else if (row == "p7") {
    out = elaboration();
  } else if (row == "faults") {
    out = first_touch();
  } else if (row == "run" && argc > 2) {
    try {
      out = whole_run(argv[2], std::vector<std::string>(argv + 3, argv + argc));
    } catch (const std::exception& e) {  // a scenario that does not load: its error, as ivsim gives it
      std::fprintf(stderr, "%s\n", e.what());
      return 2;
    }
  } else {
    std::fprintf(
        stderr,
        "usage: ivsim_perf_row floor|p1|p1-once|p2|p2-once|p3|p4|p5|p6|p7|faults, or run SCENARIO [FIELD=VALUE...]\n");
    return 2;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
