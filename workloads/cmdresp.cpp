// The cmdresp workload: the seed scenario's HMI <-> RT exchange with think
// time on both sides. The HMI thinks, writes a command and waits for the
// response; the RT VM waits for a command, thinks (its control step) and
// answers. A response later than deadline_ns after its command counts as a
// deadline miss.
#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/cmdresp.h"
#include "workloads/guest_os.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/one_way.h"

namespace ivsim {

namespace {

constexpr u64 kCommandSeq = 0x00, kResponseSeq = 0x40, kReady = 0x80, kPayload = 0x100;
constexpr u16 kVector = 0;

struct Exchange {
  IvshmemGuestDevice dev;
  Gpa base = 0;
  Gpa command = 0, response = 0;
  u64 command_bytes = 0, response_bytes = 0, commands = 0, warmup = 0;
  NotifyMode mode = NotifyMode::poll;
};

Exchange setup(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  Exchange x;
  x.dev = *dev;
  const u64 size = ivshmem_get_mem(g, *dev, &x.base);
  x.command_bytes = static_cast<u64>(ctx.param_int("command_bytes"));
  x.response_bytes = static_cast<u64>(ctx.param_int("response_bytes"));
  if (cmdresp_region_bytes(x.command_bytes, x.response_bytes) > size)
    throw std::runtime_error("command and response do not fit the region");
  x.command = x.base + kPayload;
  x.response = x.command + round_up(x.command_bytes, kCacheLineBytes);
  x.commands = static_cast<u64>(ctx.param_int("iterations"));
  x.warmup = static_cast<u64>(ctx.param_int("warmup"));
  x.mode = notify_mode(ctx.param_string("notify"));
  return x;
}

}  // namespace

u64 cmdresp_region_bytes(u64 command_bytes, u64 response_bytes) {
  return kPayload + round_up(command_bytes, kCacheLineBytes) + round_up(response_bytes, kCacheLineBytes);
}

void cmdresp_hmi(Guest& g, const WorkloadContext& ctx) {
  const Exchange x = setup(g, ctx);
  GuestOs os(g, guest_os_kind(ctx.os), x.dev, x.mode, kVector);
  const u64 think = static_cast<u64>(ctx.param_int("hmi_think_cycles"));
  const double deadline_ns = static_cast<double>(ctx.param_int("deadline_ns"));
  const u32 rt = ctx.role_vm.at("rt");
  LatencyMetric& response_time = ctx.metrics->metric("response_time");
  std::vector<u64> cmd((x.command_bytes + 7) / 8 + 1, 0), resp((x.response_bytes + 7) / 8 + 1, 0);
  if (x.mode == NotifyMode::doorbell) g.wait_until(x.base + kReady, 8, Cmp::eq, 1);
  u64 misses = 0;
  std::vector<Breakdown> missed;  // each miss's breakdown, to name its cause at the end
  constexpr std::size_t kMaxMissesKept = std::size_t{1} << 20;
  for (u64 seq = 1; seq <= x.warmup + x.commands; ++seq) {
    g.compute(think);  // the operator's input, the screen's update
    const Timestamp start = g.timestamp();
    cmd[0] = seq;
    g.write(x.command, cmd.data(), x.command_bytes);
    g.store<u64>(x.base + kCommandSeq, seq);
    os.notify(rt);
    os.wait(x.base + kResponseSeq, seq);
    g.read(x.response, resp.data(), x.response_bytes);
    const Timestamp end = g.timestamp();
    if (resp[0] != seq) ctx.metrics->count("protocol_errors");
    if (seq <= x.warmup) continue;
    response_time.record(start, end);
    if (ps_to_ns(end.time_ps - start.time_ps) > deadline_ns) {
      ++misses;
      if (missed.size() < kMaxMissesKept) missed.push_back(end.cumulative - start.cumulative);
    }
  }
  ctx.metrics->count("commands", x.commands);
  ctx.metrics->count("deadline_misses", misses);
  // Each miss's cause: the component of its breakdown furthest above that
  // component's mean over all responses (what this one had that a typical
  // one did not).
  const u64 n = response_time.histogram.count();
  for (const Breakdown& b : missed) {
    std::size_t cause = 0;
    double most = -1e300;
    for (std::size_t c = 0; c < kComponentCount; ++c) {
      const double excess = static_cast<double>(b.ps[c]) -
                            static_cast<double>(response_time.breakdown_sum.ps[c]) / static_cast<double>(n);
      if (excess > most) {
        most = excess;
        cause = c;
      }
    }
    ctx.metrics->count(std::string("deadline_misses.") + component_name(static_cast<Component>(cause)));
  }
  if (misses > missed.size()) ctx.metrics->count("deadline_misses.unattributed", misses - missed.size());
}

void cmdresp_rt(Guest& g, const WorkloadContext& ctx) {
  const Exchange x = setup(g, ctx);
  GuestOs os(g, guest_os_kind(ctx.os), x.dev, x.mode, kVector);
  const u64 think = static_cast<u64>(ctx.param_int("rt_think_cycles"));
  const u32 hmi = ctx.role_vm.at("hmi");
  std::vector<u64> cmd((x.command_bytes + 7) / 8 + 1, 0), resp((x.response_bytes + 7) / 8 + 1, 0);
  if (x.mode == NotifyMode::doorbell) g.store<u64>(x.base + kReady, 1);
  for (u64 seq = 1; seq <= x.warmup + x.commands; ++seq) {
    os.wait(x.base + kCommandSeq, seq);
    g.read(x.command, cmd.data(), x.command_bytes);
    g.compute(think);  // the control step the command asks for
    resp[0] = cmd[0];
    g.write(x.response, resp.data(), x.response_bytes);
    g.store<u64>(x.base + kResponseSeq, seq);
    os.notify(hmi);
  }
}

}  // namespace ivsim
