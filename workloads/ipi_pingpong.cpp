#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/measurements.h"

namespace ivsim {

namespace {
constexpr u8 kIpiVector = 0xF0;
// Fixed delivery, physical destination: the x2APIC ID in bits 63:32.
u64 icr_fixed(u32 dest_apic_id, u8 vector) { return (u64{dest_apic_id} << 32) | vector; }
}  // namespace

// Send an IPI, halt until the answer's handler ran: round trip = 2 x send->handled.
void ipi_ping(Guest& g, const WorkloadContext& ctx) {
  const u32 peer = ctx.role_apic_id.at("pong");
  const u64 warmup = static_cast<u64>(ctx.param_int("warmup"));
  const u64 total = warmup + static_cast<u64>(ctx.param_int("iterations"));
  LatencyMetric& rt = ctx.metrics->metric("round_trip");
  g.on_interrupt(kIpiVector, [](Guest&) {});
  g.compute(100'000);  // let the peer install its handler and halt
  for (u64 i = 0; i < total; ++i) {
    const Timestamp start = g.timestamp();
    g.wrmsr(kX2apicIcr, icr_fixed(peer, kIpiVector));
    g.halt();
    if (i >= warmup) rt.record(start, g.timestamp());
  }
}

void ipi_pong(Guest& g, const WorkloadContext& ctx) {
  const u32 peer = ctx.role_apic_id.at("ping");
  const u64 total = static_cast<u64>(ctx.param_int("warmup") + ctx.param_int("iterations"));
  g.on_interrupt(kIpiVector, [peer](Guest& isr) { isr.wrmsr(kX2apicIcr, icr_fixed(peer, kIpiVector)); });
  for (u64 i = 0; i < total; ++i) g.halt();
}

}  // namespace ivsim
