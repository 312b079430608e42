// The per-access path, measured against the floor a TLM model can reach:
// an 8-byte guest access through the vCPU (TLB, coherence directory, DMI,
// quantum keeper) versus a memcpy from a DMI pointer plus a quantum-keeper
// increment. Prints the ratio of the two.
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn
#include <systemc>

#include <tlm_utils/tlm_quantumkeeper.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "bench/bench_world.h"

using namespace ivsim;

namespace {

bench::World& world() {
  static bench::World w;
  return w;
}

// Runs `body` in a SystemC thread (accesses may synchronise with the kernel).
template <class F>
void in_thread(F body) {
  sc_core::sc_spawn(body);
  sc_core::sc_start();
}

void BM_VcpuSharedLoad8(benchmark::State& state) {
  bench::World& w = world();
  in_thread([&] {
    u64 sum = 0, i = 0;
    for (auto _ : state) {
      sum += w.cpu->load<u64>(w.shm + ((i++ * 8) & 0xFF8));
    }
    benchmark::DoNotOptimize(sum);
  });
}
BENCHMARK(BM_VcpuSharedLoad8);

void BM_VcpuSharedStore8(benchmark::State& state) {
  bench::World& w = world();
  in_thread([&] {
    u64 i = 0;
    for (auto _ : state) {
      w.cpu->store<u64>(w.shm + ((i * 8) & 0xFF8), i);
      ++i;
    }
  });
}
BENCHMARK(BM_VcpuSharedStore8);

void BM_RawTlmDmiLoad8(benchmark::State& state) {
  bench::World& w = world();
  const IvshmemRegion& region = w.platform->hypervisor().ivshmem_pool()->regions()[0];
  const u8* page = w.platform->host_memory().page(region.hpa);
  const auto l1 = sc_core::sc_time::from_value(w.timing.l1_hit_ps);
  in_thread([&] {
    tlm_utils::tlm_quantumkeeper qk;
    qk.reset();
    u64 sum = 0, i = 0;
    for (auto _ : state) {
      u64 v;
      std::memcpy(&v, page + ((i++ * 8) & 0xFF8), sizeof v);
      sum += v;
      qk.inc(l1);
      if (qk.need_sync()) qk.sync();
    }
    benchmark::DoNotOptimize(sum);
  });
}
BENCHMARK(BM_RawTlmDmiLoad8);

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) ns_per_op_[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> ns_per_op_;
};

}  // namespace

int sc_main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto& t = reporter.ns_per_op_;
  const auto raw = t.find("BM_RawTlmDmiLoad8");
  for (const char* name : {"BM_VcpuSharedLoad8", "BM_VcpuSharedStore8"}) {
    const auto it = t.find(name);
    if (it != t.end() && raw != t.end() && raw->second > 0)
      std::printf("ratio %s / BM_RawTlmDmiLoad8 = %.2f (%.2f ns vs %.2f ns per access)\n", name,
                  it->second / raw->second, it->second, raw->second);
  }
  benchmark::Shutdown();
  return 0;
}

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
