// The trace as Chrome trace-event JSON (the "JSON Array/Object Format" the
// Perfetto UI and chrome://tracing read): complete events ("X") on a track
// per pCPU, per vCPU (and its interrupt deliveries), per pCPU for the
// hypervisor and one for the device model, and flow events (s/t/f) from a
// doorbell write to the interrupt's delivery and the peer's ISR.
#include <fmt/format.h>

#include <algorithm>

#include "sim/trace_recorder.h"

namespace ivsim {

namespace {

constexpr int kPidPcpus = 1, kPidHypervisor = 2, kPidDeviceModel = 3, kPidVmBase = 100;

// Times go out in microseconds with three decimals, i.e. whole nanoseconds:
// the Perfetto UI keeps integer nanoseconds, and rounding start and end
// (not start and duration) keeps nested spans nested after the rounding.
std::string us(TimePs ps) {
  const u64 ns = ps / 1000;
  return fmt::format("{}.{:03}", ns / 1000, ns % 1000);
}

std::string esc(const std::string& s) {
  std::string o;
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      o += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      o += c;
    }
  }
  return o;
}

std::string hex(u64 v) { return fmt::format("{:#x}", v); }

}  // namespace

std::string TraceRecorder::chrome_json(const TraceNames& names) const {
  auto vm_name = [&](VmId vm) {
    const auto it = names.vms.find(vm);
    return it != names.vms.end() ? it->second : "VM" + std::to_string(vm);
  };
  auto vcpu_name = [&](const trace::Cpu& c) {
    const auto it = names.vcpus.find({c.vm, c.vcpu});
    return it != names.vcpus.end() ? it->second : fmt::format("vm{}_vcpu{}", c.vm, c.vcpu);
  };
  struct Where {
    int pid, tid;
  };
  auto where = [&](Track t, const trace::Cpu& c) -> Where {
    switch (t) {
      case Track::vcpu:
        return {kPidVmBase + c.vm, static_cast<int>(c.vcpu * 2)};
      case Track::vcpu_irq:
        return {kPidVmBase + c.vm, static_cast<int>(c.vcpu * 2 + 1)};
      case Track::pcpu:
        return {kPidPcpus, static_cast<int>(c.pcpu)};
      case Track::hv:
        return {kPidHypervisor, static_cast<int>(c.pcpu)};
      case Track::dm:
        return {kPidDeviceModel, 0};
    }
    return {0, 0};
  };

  std::vector<std::string> events;
  auto meta = [&](int pid, int tid, const std::string& what, const std::string& name, int sort) {
    const bool process = what == "process_name";
    events.push_back(
        fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"{}","args":{{"name":"{}"}}}})", pid, tid, what, esc(name)));
    events.push_back(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"{}","args":{{"sort_index":{}}}}})", pid, tid,
                                 process ? "process_sort_index" : "thread_sort_index", sort));
  };
  // Tracks: every pCPU and vCPU that appears, named.
  std::map<unsigned, bool> pcpus;
  bool dm_used = false;
  std::string dm_server;
  for (const Span& s : spans_) {
    if (s.track == Track::pcpu || s.track == Track::hv) pcpus[s.cpu.pcpu] = true;
    if (s.track == Track::dm) {
      dm_used = true;
      dm_server = vcpu_name(s.cpu);
    }
  }
  meta(kPidPcpus, 0, "process_name", "pCPUs", 0);
  meta(kPidHypervisor, 0, "process_name", "hypervisor", 1);
  for (const auto& [p, _] : pcpus) {
    meta(kPidPcpus, static_cast<int>(p), "thread_name", fmt::format("pCPU {}", p), static_cast<int>(p));
    meta(kPidHypervisor, static_cast<int>(p), "thread_name", fmt::format("hypervisor on pCPU {}", p),
         static_cast<int>(p));
  }
  if (dm_used) {
    meta(kPidDeviceModel, 0, "process_name", "device model (Service VM)", 2);
    meta(kPidDeviceModel, 0, "thread_name", "HSM + acrn-dm on " + dm_server, 0);
  }
  std::map<VmId, bool> vms;
  for (const auto& [key, c] : cpus_) {
    if (!vms[c.vm]) meta(kPidVmBase + c.vm, 0, "process_name", fmt::format("VM {} {}", c.vm, vm_name(c.vm)), 3 + c.vm);
    vms[c.vm] = true;
    meta(kPidVmBase + c.vm, static_cast<int>(c.vcpu * 2), "thread_name",
         fmt::format("vCPU {} (pCPU {})", c.vcpu, c.pcpu), static_cast<int>(c.vcpu * 2));
    meta(kPidVmBase + c.vm, static_cast<int>(c.vcpu * 2 + 1), "thread_name", fmt::format("vCPU {} interrupts", c.vcpu),
         static_cast<int>(c.vcpu * 2 + 1));
  }

  // Spans in time order, a parent before the children that start with it.
  std::vector<std::size_t> order(spans_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Span &x = spans_[a], &y = spans_[b];
    if (x.start / 1000 != y.start / 1000) return x.start < y.start;
    return x.end / 1000 > y.end / 1000;
  });
  for (const std::size_t i : order) {
    const Span& s = spans_[i];
    const Where w = where(s.track, s.cpu);
    std::string name, cat, args;
    switch (s.kind) {
      case Kind::program:
        name = "guest program", cat = "guest";
        break;
      case Kind::poll:
        name = "poll", cat = "guest", args = fmt::format(R"("gva":"{}")", hex(s.va));
        break;
      case Kind::exit:
        name = fmt::format("VM exit: {}", s.reason), cat = "vm_exit";
        args = fmt::format(R"("hypervisor_ns":{:.3f},"device_model_ns":{:.3f})", static_cast<double>(s.hv_ps) / 1e3,
                           static_cast<double>(s.dm_ps) / 1e3);
        break;
      case Kind::dm_wait:
        name = "waiting for the device model", cat = "vm_exit";
        break;
      case Kind::halt:
        name = "HLT", cat = "guest";
        break;
      case Kind::isr:
        name = fmt::format("ISR vector {:#04x}", s.vector), cat = "interrupt";
        break;
      case Kind::tick:
        name = s.reason, cat = "noise";
        break;
      case Kind::delivery:
        name = fmt::format("interrupt vector {:#04x}", s.vector), cat = "interrupt";
        break;
      case Kind::hv:
        name = fmt::format("{}: VM {} vCPU {}", s.reason, s.cpu.vm, s.cpu.vcpu), cat = "hypervisor";
        break;
      case Kind::dm:
        name = fmt::format("I/O request of VM {}", s.other_vm), cat = "device_model";
        break;
      case Kind::running:
        name = fmt::format("{} vCPU {}", vm_name(s.cpu.vm), s.cpu.vcpu), cat = "pcpu";
        args = fmt::format(R"("vm":{},"vcpu":"{}")", s.cpu.vm, esc(vcpu_name(s.cpu)));
        break;
    }
    const u64 ns0 = s.start / 1000, ns1 = s.end / 1000;
    events.push_back(fmt::format(R"({{"ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"name":"{}","cat":"{}")", w.pid,
                                 w.tid, us(s.start), us((ns1 - ns0) * 1000), esc(name), cat) +
                     (args.empty() ? "}" : ",\"args\":{" + args + "}}"));
  }

  // Flows: doorbell write (in the sender's exit) -> delivery -> the peer's ISR.
  std::map<VmId, std::vector<std::pair<TimePs, std::size_t>>> exits;  // by VM, in start order
  for (std::size_t i = 0; i < spans_.size(); ++i)
    if (spans_[i].kind == Kind::exit) exits[spans_[i].cpu.vm].push_back({spans_[i].start, i});
  for (auto& [vm, v] : exits) std::sort(v.begin(), v.end());
  const std::vector<long> isr = isr_of_interrupts();
  unsigned id = 0;
  for (std::size_t k = 0; k < interrupts_.size(); ++k) {
    const Interrupt& in = interrupts_[k];
    if (in.doorbell_from < 0 || isr[k] < 0 || !in_window(in.sent, in.delivered)) continue;
    // The sender's exit that holds the doorbell write.
    const Span* exit = nullptr;
    const auto ex = exits.find(static_cast<VmId>(in.doorbell_from));
    if (ex != exits.end()) {
      auto j = std::upper_bound(ex->second.begin(), ex->second.end(),
                                std::pair<TimePs, std::size_t>{in.sent, ~std::size_t{0}});
      while (j != ex->second.begin()) {
        --j;
        const Span& s = spans_[j->second];
        if (s.end >= in.sent) exit = &s;
        break;
      }
    }
    if (!exit) continue;
    const Span& handler = spans_[static_cast<std::size_t>(isr[k])];
    const Where from = where(Track::vcpu, exit->cpu), via = where(Track::vcpu_irq, in.cpu),
                to = where(Track::vcpu, handler.cpu);
    ++id;
    events.push_back(fmt::format(
        R"({{"ph":"s","id":{},"pid":{},"tid":{},"ts":{},"name":"doorbell","cat":"doorbell","args":{{"vector":"{:#04x}"}}}})",
        id, from.pid, from.tid, us(in.sent), in.vector));
    events.push_back(fmt::format(R"({{"ph":"t","id":{},"pid":{},"tid":{},"ts":{},"name":"doorbell","cat":"doorbell"}})",
                                 id, via.pid, via.tid, us(in.sent)));
    events.push_back(
        fmt::format(R"({{"ph":"f","bp":"e","id":{},"pid":{},"tid":{},"ts":{},"name":"doorbell","cat":"doorbell"}})", id,
                    to.pid, to.tid, us(handler.start)));
  }

  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  for (std::size_t i = 0; i < events.size(); ++i) out += events[i] + (i + 1 < events.size() ? ",\n" : "\n");
  out += "]}\n";
  return out;
}

}  // namespace ivsim
