#include "workloads/pingpong.h"

#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"

namespace ivsim {

namespace {

// Layout of the region: each flag on its own cache line, then the payloads.
constexpr u64 kCommandSeq = 0x00;
constexpr u64 kResponseSeq = 0x40;
constexpr u64 kResponderReady = 0x80;
constexpr u64 kPayload = 0x100;

// Doorbell mode: MSI-X table entry 0 of each side's device, pointed at the
// CPU the role runs on (its APIC ID, as the driver reads it) with an
// arbitrary free vector, as a driver's request_irq with the IRQ's affinity
// on that CPU would.
constexpr u16 kDoorbellVector = 0;  // MSI-X entry the peer rings
constexpr u32 kGuestVector = 0x40;  // IDT vector the MSI carries
struct Session {
  IvshmemGuestDevice dev;
  Gpa command_seq, response_seq, ready, command, response;
  u64 bytes;
  bool doorbell;
};

Session bring_up(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  const u64 bytes = static_cast<u64>(ctx.param_int("message_bytes"));
  const u64 slot = round_up(bytes, kCacheLineBytes);
  if (pingpong_region_bytes(bytes) > dev->shmem_size) throw std::runtime_error("message does not fit the region");
  const bool doorbell = ctx.param_string("notify") == "doorbell";
  if (doorbell && !ivshmem_setup_msix(g, *dev, kDoorbellVector, msi_address(g.apic_id()), kGuestVector))
    throw std::runtime_error("doorbell mode needs MSI-X, which this device does not have");
  const Gpa base = dev->shmem;
  return Session{*dev,
                 base + kCommandSeq,
                 base + kResponseSeq,
                 base + kResponderReady,
                 base + kPayload,
                 base + kPayload + slot,
                 bytes,
                 doorbell};
}

// Doorbell mode: sleep until the peer's interrupt, until `flag` reads `seq`
// (an interrupt may come before the flag a previous one announced).
void await_doorbell(Guest& g, Gpa flag, u64 seq, MetricSink& metrics) {
  while (g.load<u64>(flag) != seq) {
    g.halt();
    if (g.load<u64>(flag) != seq) metrics.count("early_wakeups");
  }
}

}  // namespace

u64 pingpong_region_bytes(u64 message_bytes) { return kPayload + 2 * round_up(message_bytes, kCacheLineBytes); }

void pingpong_initiator(Guest& g, const WorkloadContext& ctx) {
  const Session s = bring_up(g, ctx);
  const u64 warmup = static_cast<u64>(ctx.param_int("warmup"));
  const u64 total = warmup + static_cast<u64>(ctx.param_int("iterations"));
  const u32 responder = ctx.role_vm.at("responder");
  LatencyMetric& round_trip = ctx.metrics->metric("round_trip");
  std::vector<u64> message(s.bytes / 8 + 1, 0), response(s.bytes / 8 + 1, 0);
  // The responder must have its interrupt set up before the first doorbell.
  if (s.doorbell) g.wait_until(s.ready, 8, Cmp::eq, 1);

  for (u64 seq = 1; seq <= total; ++seq) {
    const Timestamp start = g.timestamp();
    message[0] = seq;
    g.write(s.command, message.data(), s.bytes);
    g.store<u64>(s.command_seq, seq);
    if (s.doorbell) {
      ivshmem_int_peer(g, s.dev, responder, kDoorbellVector);
      await_doorbell(g, s.response_seq, seq, *ctx.metrics);
    } else {
      g.wait_until(s.response_seq, 8, Cmp::eq, seq);
    }
    g.read(s.response, response.data(), s.bytes);
    if (response[0] != ~seq) ctx.metrics->count("protocol_errors");
    if (seq > warmup) round_trip.record(start, g.timestamp());
  }
}

void pingpong_responder(Guest& g, const WorkloadContext& ctx) {
  const Session s = bring_up(g, ctx);
  const u64 total = static_cast<u64>(ctx.param_int("warmup") + ctx.param_int("iterations"));
  const u64 work = static_cast<u64>(ctx.param_int("response_compute_cycles"));
  const u32 initiator = ctx.role_vm.at("initiator");
  std::vector<u64> buffer(s.bytes / 8 + 1, 0);
  if (s.doorbell) g.store<u64>(s.ready, 1);

  for (u64 seq = 1; seq <= total; ++seq) {
    if (s.doorbell)
      await_doorbell(g, s.command_seq, seq, *ctx.metrics);
    else
      g.wait_until(s.command_seq, 8, Cmp::eq, seq);
    g.read(s.command, buffer.data(), s.bytes);
    if (buffer[0] != seq) ctx.metrics->count("protocol_errors");
    g.compute(work);
    buffer[0] = ~buffer[0];
    g.write(s.response, buffer.data(), s.bytes);
    g.store<u64>(s.response_seq, seq);
    if (s.doorbell) ivshmem_int_peer(g, s.dev, initiator, kDoorbellVector);
  }
}

}  // namespace ivsim
