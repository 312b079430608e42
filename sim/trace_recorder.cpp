#include "sim/trace_recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace ivsim {

namespace {

TimePs parse_time(const std::string& t, const std::string& whole) {
  auto fail = [&](const std::string& why) -> TimePs {
    throw ConfigError({"--trace-window", 0, 0}, "", why + " in '" + whole + "' (expected T0:T1, e.g. 1ms:1.5ms)");
  };
  std::size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(t, &pos);
  } catch (const std::exception&) {
    return fail("'" + t + "' is not a time");
  }
  const std::string unit = t.substr(pos);
  static const std::map<std::string, double> kUnits = {{"ps", 1},   {"ns", 1e3}, {"us", 1e6},
                                                       {"µs", 1e6}, {"ms", 1e9}, {"s", 1e12}};
  const auto u = kUnits.find(unit);
  if (u == kUnits.end()) return fail("'" + t + "' needs a unit: ps, ns, us, ms or s");
  if (!(v >= 0) || v * u->second > 1.8e19) return fail("'" + t + "' is out of range");
  return static_cast<TimePs>(std::llround(v * u->second));
}

}  // namespace

TraceWindow parse_trace_window(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos)
    throw ConfigError({"--trace-window", 0, 0}, "", "expected T0:T1 (e.g. 1ms:1.5ms), got '" + text + "'");
  TraceWindow w;
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  if (!a.empty()) w.from = parse_time(a, text);
  if (!b.empty()) w.to = parse_time(b, text);
  if (w.to <= w.from) throw ConfigError({"--trace-window", 0, 0}, "", "T1 must be after T0 in '" + text + "'");
  return w;
}

void TraceRecorder::add(const Span& s) {
  cpus_[{s.cpu.vm, s.cpu.vcpu}] = s.cpu;
  if (in_window(s.start, s.end)) spans_.push_back(s);
}

void TraceRecorder::program(const trace::Cpu& c, TimePs start, TimePs end) {
  add({Kind::program, Track::vcpu, 0, c, 0, start, end, nullptr, 0, 0, 0});
}

void TraceRecorder::poll(const trace::Cpu& c, Gva va, TimePs start, TimePs end) {
  add({Kind::poll, Track::vcpu, 0, c, 0, start, end, nullptr, 0, 0, va});
}

void TraceRecorder::vm_exit(const trace::Cpu& c, const char* reason, TimePs start, const Breakdown& cost) {
  const TimePs hv = cost.get(Component::exit) + cost.get(Component::hv);
  const TimePs end = start + cost.total();
  add({Kind::exit, Track::vcpu, 0, c, 0, start, end, reason, hv, cost.get(Component::dm), 0});
  // The hypervisor runs on the exiting vCPU's pCPU; an exit the device model
  // serves then waits (the rest of the exit).
  add({Kind::hv, Track::hv, 0, c, 0, start, start + hv, reason, 0, 0, 0});
  if (start + hv < end) add({Kind::dm_wait, Track::vcpu, 0, c, 0, start + hv, end, nullptr, 0, 0, 0});
}

void TraceRecorder::halt(const trace::Cpu& c, TimePs start, TimePs woke) {
  add({Kind::halt, Track::vcpu, 0, c, 0, start, woke, nullptr, 0, 0, 0});
}

void TraceRecorder::on_pcpu(const trace::Cpu& c, bool running, TimePs at) {
  cpus_[{c.vm, c.vcpu}] = c;
  Running& r = running_[{c.vm, c.vcpu}];
  if (running == r.on) return;  // a vCPU alone on its pCPU reports both ways, harmlessly
  if (!running) add({Kind::running, Track::pcpu, 0, c, 0, r.since, at, nullptr, 0, 0, 0});
  r.on = running;
  r.since = at;
}

void TraceRecorder::interrupt(const trace::Cpu& c, u8 vector, TimePs sent, TimePs delivered) {
  interrupts_.push_back({c, vector, sent, delivered, -1});
  add({Kind::delivery, Track::vcpu_irq, vector, c, 0, sent, delivered, nullptr, 0, 0, 0});
}

void TraceRecorder::isr(const trace::Cpu& c, u8 vector, TimePs start, TimePs end) {
  add({Kind::isr, Track::vcpu, vector, c, 0, start, end, nullptr, 0, 0, 0});
}

void TraceRecorder::tick(const trace::Cpu& c, const char* what, TimePs start, TimePs end) {
  add({Kind::tick, Track::vcpu, 0, c, 0, start, end, what, 0, 0, 0});
}

void TraceRecorder::doorbell(VmId from, VmId to, u8 vector) {
  // inject_msi has just raised the interrupts, all sent at the same time:
  // the latest unclaimed ones for this VM and vector.
  TimePs sent = 0;
  bool found = false;
  for (auto it = interrupts_.rbegin(); it != interrupts_.rend(); ++it) {
    if (it->cpu.vm != to || it->vector != vector || it->doorbell_from >= 0) continue;
    if (found && it->sent != sent) break;
    sent = it->sent;
    found = true;
    it->doorbell_from = from;
  }
}

void TraceRecorder::dm_request(VmId vm, const trace::Cpu& server, TimePs start, TimePs end) {
  add({Kind::dm, Track::dm, 0, server, vm, start, end, nullptr, 0, 0, 0});
}

void TraceRecorder::finish(TimePs end) {
  for (auto& [key, r] : running_)
    if (r.on) on_pcpu(cpus_[key], false, std::max(end, r.since));
}

std::vector<long> TraceRecorder::isr_of_interrupts() const {
  // ISRs by vCPU and vector, in time order.
  std::map<std::tuple<VmId, unsigned, u8>, std::vector<std::pair<TimePs, long>>> isrs;
  for (std::size_t i = 0; i < spans_.size(); ++i)
    if (spans_[i].kind == Kind::isr)
      isrs[{spans_[i].cpu.vm, spans_[i].cpu.vcpu, spans_[i].vector}].push_back({spans_[i].start, static_cast<long>(i)});
  for (auto& [k, v] : isrs) std::sort(v.begin(), v.end());
  std::vector<long> out;
  out.reserve(interrupts_.size());
  for (const Interrupt& in : interrupts_) {
    const auto it = isrs.find({in.cpu.vm, in.cpu.vcpu, in.vector});
    long idx = -1;
    if (it != isrs.end()) {
      const auto j = std::lower_bound(it->second.begin(), it->second.end(), std::pair<TimePs, long>{in.delivered, -1});
      if (j != it->second.end()) idx = j->second;
    }
    out.push_back(idx);
  }
  return out;
}

std::size_t TraceRecorder::flow_count() const {
  std::size_t n = 0;
  for (const auto& i : interrupts_) n += i.doorbell_from >= 0;
  return n;
}

}  // namespace ivsim
