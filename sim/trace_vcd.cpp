// The interrupt lines as a Value Change Dump (IEEE 1364) for GTKWave: per
// vCPU that received an interrupt, `irq` is high from the delivery of an
// interrupt until its ISR starts (requested, not yet taken) and `isr` while
// a handler runs. Time unit 1 ps, the model's own resolution.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "sim/trace_recorder.h"

#ifndef IVSIM_VERSION
#define IVSIM_VERSION "unknown"
#endif

namespace ivsim {

namespace {

// VCD identifiers: printable ASCII from '!' on, in base 94.
std::string vcd_id(unsigned n) {
  std::string s;
  do {
    s += static_cast<char>('!' + n % 94);
    n /= 94;
  } while (n);
  return s;
}

// A scope name: letters, digits and '_' only.
std::string scope(const std::string& s) {
  std::string o;
  for (const char c : s) o += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return o;
}

}  // namespace

std::string TraceRecorder::vcd(const TraceNames& names) const {
  // Level changes per signal: +1 / -1 at a time; a line is high while its level is above 0.
  struct Change {
    TimePs at;
    unsigned signal;
    int delta;
  };
  std::map<std::pair<VmId, unsigned>, unsigned> first_signal;  // vCPU -> its irq line (isr is +1)
  for (const Interrupt& in : interrupts_) first_signal[{in.cpu.vm, in.cpu.vcpu}] = 0;
  for (const Span& s : spans_)
    if (s.kind == Kind::isr) first_signal[{s.cpu.vm, s.cpu.vcpu}] = 0;
  unsigned n = 0;
  for (auto& [k, sig] : first_signal) sig = (n += 2) - 2;

  std::vector<Change> changes;
  const std::vector<long> isr = isr_of_interrupts();
  for (std::size_t k = 0; k < interrupts_.size(); ++k) {
    const Interrupt& in = interrupts_[k];
    if (!in_window(in.delivered, in.delivered)) continue;
    const unsigned sig = first_signal[{in.cpu.vm, in.cpu.vcpu}];
    changes.push_back({in.delivered, sig, +1});
    if (isr[k] >= 0) changes.push_back({spans_[static_cast<std::size_t>(isr[k])].start, sig, -1});
  }
  for (const Span& s : spans_) {
    if (s.kind != Kind::isr) continue;
    const unsigned sig = first_signal[{s.cpu.vm, s.cpu.vcpu}] + 1;
    changes.push_back({s.start, sig, +1});
    changes.push_back({s.end, sig, -1});
  }
  // At one instant, falls before rises: a line that drops and rises again
  // at the same time stays high.
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return a.at != b.at ? a.at < b.at : a.delta < b.delta; });

  std::string out =
      fmt::format("$version ivsim {} $end\n$timescale 1ps $end\n$scope module ivsim $end\n", IVSIM_VERSION);
  VmId open_vm = 0;
  bool in_vm = false;
  for (const auto& [k, sig] : first_signal) {
    if (!in_vm || open_vm != k.first) {
      if (in_vm) out += "$upscope $end\n";
      const auto vm = names.vms.find(k.first);
      out += fmt::format("$scope module VM{}_{} $end\n", k.first, scope(vm != names.vms.end() ? vm->second : ""));
      open_vm = k.first;
      in_vm = true;
    }
    out += fmt::format("$scope module vcpu{} $end\n$var wire 1 {} irq $end\n$var wire 1 {} isr $end\n$upscope $end\n",
                       k.second, vcd_id(sig), vcd_id(sig + 1));
  }
  if (in_vm) out += "$upscope $end\n";
  out += "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n";
  for (unsigned s = 0; s < n; ++s) out += "0" + vcd_id(s) + "\n";
  out += "$end\n";

  std::vector<int> level(n, 0);
  TimePs now = 0;
  bool stamped = true;  // #0 is out
  for (const Change& c : changes) {
    const bool was = level[c.signal] > 0;
    level[c.signal] += c.delta;
    const bool is = level[c.signal] > 0;
    if (was == is) continue;
    if (c.at != now || !stamped) {
      out += fmt::format("#{}\n", c.at);
      now = c.at;
      stamped = true;
    }
    out += (is ? "1" : "0") + vcd_id(c.signal) + "\n";
  }
  return out;
}

}  // namespace ivsim
