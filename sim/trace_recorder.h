// `ivsim run --trace FILE.json` and `--vcd FILE.vcd`: the timeline sink.
// It keeps the events the model hooks report (models/core/tracer.h) and,
// after the run, writes them as Chrome trace-event JSON (what the Perfetto
// UI and chrome://tracing open) and as a VCD of the interrupt lines (for
// GTKWave). docs/timeline.md describes the tracks and spans.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "models/core/tracer.h"
#include "platforms/config_error.h"

namespace ivsim {

// What the tracks are called: VM names and each vCPU's module name.
struct TraceNames {
  std::map<VmId, std::string> vms;
  std::map<std::pair<VmId, unsigned>, std::string> vcpus;
};

// The part of the run a trace keeps: spans that overlap [from, to).
struct TraceWindow {
  TimePs from = 0;
  TimePs to = ~TimePs{0};
};

// Parses `--trace-window T0:T1`: times with a unit (ps, ns, us, ms, s), either
// end may be empty (`:2ms`, `1ms:`). Throws ConfigError at the option.
TraceWindow parse_trace_window(const std::string& text);

class TraceRecorder : public trace::Sink {
 public:
  explicit TraceRecorder(TraceWindow window = {}) : window_(window) {}

  void program(const trace::Cpu& c, TimePs start, TimePs end) override;
  void poll(const trace::Cpu& c, Gva va, TimePs start, TimePs end) override;
  void vm_exit(const trace::Cpu& c, const char* reason, TimePs start, const Breakdown& cost) override;
  void halt(const trace::Cpu& c, TimePs start, TimePs woke) override;
  void on_pcpu(const trace::Cpu& c, bool running, TimePs at) override;
  void interrupt(const trace::Cpu& c, u8 vector, TimePs sent, TimePs delivered) override;
  void isr(const trace::Cpu& c, u8 vector, TimePs start, TimePs end) override;
  void tick(const trace::Cpu& c, const char* what, TimePs start, TimePs end) override;
  void doorbell(VmId from, VmId to, u8 vector) override;
  void dm_request(VmId vm, const trace::Cpu& server, TimePs start, TimePs end) override;

  // Closes what is still open (a vCPU still on its pCPU) at `end`.
  void finish(TimePs end);

  std::string chrome_json(const TraceNames& names) const;
  std::string vcd(const TraceNames& names) const;

  // Counts by kind, for tests and the docs.
  std::size_t span_count() const { return spans_.size(); }
  std::size_t flow_count() const;

 private:
  enum class Kind : u8 { program, poll, exit, dm_wait, halt, isr, tick, delivery, hv, dm, running };
  // Where a span is drawn.
  enum class Track : u8 { vcpu, vcpu_irq, pcpu, hv, dm };
  struct Span {
    Kind kind;
    Track track;
    u8 vector = 0;
    trace::Cpu cpu;     // the vCPU it is on or about
    VmId other_vm = 0;  // dm: the VM whose request it serves
    TimePs start = 0, end = 0;
    const char* reason = nullptr;  // exit, hv
    TimePs hv_ps = 0, dm_ps = 0;   // exit: the hypervisor's and the device model's part
    Gva va = 0;                    // poll
  };
  struct Interrupt {
    trace::Cpu cpu;
    u8 vector;
    TimePs sent, delivered;
    int doorbell_from = -1;  // the VM whose doorbell sent it, or -1
  };
  struct Running {
    bool on = false;
    TimePs since = 0;
  };

  void add(const Span& s);
  bool in_window(TimePs start, TimePs end) const { return end >= window_.from && start < window_.to; }
  // For each interrupt, the ISR that took it (its index in spans_: the first
  // ISR for its vector on its vCPU at or after the delivery), or -1.
  std::vector<long> isr_of_interrupts() const;

  TraceWindow window_;
  std::vector<Span> spans_;
  std::vector<Interrupt> interrupts_;
  std::map<std::pair<VmId, unsigned>, Running> running_;
  std::map<std::pair<VmId, unsigned>, trace::Cpu> cpus_;  // every vCPU seen
};

}  // namespace ivsim
