#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/measurements.h"

namespace ivsim {

// kvm-unit-tests' tscdeadline_immed: arm the TSC-deadline timer for now and
// measure until its handler runs.
void timer_test(Guest& g, const WorkloadContext& ctx) {
  constexpr u32 kLvtTimer = 0x832, kTscDeadline = 0x6E0;
  constexpr u8 kTimerVector = 0xEC;
  constexpr u64 kTscDeadlineMode = u64{2} << 17;
  const u64 iterations = static_cast<u64>(ctx.param_int("iterations"));
  LatencyMetric& m = ctx.metrics->metric("timer_immediate");
  bool fired = false;
  g.on_interrupt(kTimerVector, [&fired](Guest&) { fired = true; });
  g.wrmsr(kLvtTimer, kTscDeadlineMode | kTimerVector);
  for (u64 i = 0; i < iterations; ++i) {
    fired = false;
    const Timestamp start = g.timestamp();
    g.wrmsr(kTscDeadline, g.rdtsc());
    while (!fired) g.compute(1);  // taken at the first instruction after VM entry
    m.record(start, g.timestamp());
  }
}

}  // namespace ivsim
