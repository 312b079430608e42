// The timeline hooks: the few places in the models where something worth a
// span on a timeline happens (a guest program, a poll, a VM exit, HLT, an
// interrupt's delivery and handler, a doorbell, a device-model request, a
// vCPU going on or off its pCPU) call the active trace sink, if any.
//
// Off is the default and costs one load and a branch per hook: no virtual
// call, no allocation, no change to simulated time. A sink only observes
// (it gets times the models already computed), so a traced run's report is
// byte-identical to an untraced one. The sink that writes Chrome trace-event
// JSON and VCD lives in sim/ (trace_recorder); tests may install their own.
#pragma once

#include "models/core/breakdown.h"
#include "models/core/types.h"

namespace ivsim::trace {

// Which vCPU an event is on, and the pCPU it runs on.
struct Cpu {
  VmId vm = 0;
  unsigned vcpu = 0;  // index within its VM
  unsigned pcpu = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // The guest program of a workload role, from its first to its last instruction.
  virtual void program(const Cpu& c, TimePs start, TimePs end) = 0;
  // wait_until: from the first read to the one that saw the value.
  virtual void poll(const Cpu& c, Gva va, TimePs start, TimePs end) = 0;
  // A VM exit from the exit to the VM entry; `cost` says how the time was
  // spent (exit/hv: the hypervisor; dm: waiting for the device model).
  virtual void vm_exit(const Cpu& c, const char* reason, TimePs start, const Breakdown& cost) = 0;
  // HLT: halted from `start` until the interrupt that woke it at `woke`.
  virtual void halt(const Cpu& c, TimePs start, TimePs woke) = 0;
  // The vCPU takes (`running`) or leaves its pCPU.
  virtual void on_pcpu(const Cpu& c, bool running, TimePs at) = 0;
  // An interrupt sent at `sent` reaching the vCPU's virtual LAPIC at `delivered`.
  virtual void interrupt(const Cpu& c, u8 vector, TimePs sent, TimePs delivered) = 0;
  // The guest's interrupt handler, from ISR entry to EOI.
  virtual void isr(const Cpu& c, u8 vector, TimePs start, TimePs end) = 0;
  // A timer tick or background wake-up the noise sources inject (`what`
  // names it): the guest's tick, the hypervisor's, the Service VM's work.
  virtual void tick(const Cpu& c, const char* what, TimePs start, TimePs end) = 0;
  // A doorbell write in `from`'s exit that has just raised `vector` in VM `to`
  // (the interrupt() calls it made come first, with the time it was sent).
  virtual void doorbell(VmId from, VmId to, u8 vector) = 0;
  // The Service VM serving one I/O request of VM `vm` (HSM dispatch and acrn-dm).
  virtual void dm_request(VmId vm, const Cpu& server, TimePs start, TimePs end) = 0;
};

namespace detail {
extern Sink* g_sink;
}

// The active sink, or null: what every hook tests first.
inline Sink* sink() { return detail::g_sink; }
// Installs a sink for the rest of the process (null turns tracing off).
inline void set_sink(Sink* s) { detail::g_sink = s; }

}  // namespace ivsim::trace
