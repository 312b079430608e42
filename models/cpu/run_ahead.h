// When a vCPU may go on past a synchronisation point without handing over to
// the SystemC kernel. A synchronisation lets every other process act up to
// the vCPU's local time; when none can, it only costs a kernel hand-off:
//  - the kernel has nothing runnable now and nothing due up to the vCPU's
//    local time (sc_time_to_pending_activity: zero when anything is
//    pending now). Another vCPU is asleep on an event (HLT, polling a line,
//    waiting for its pCPU or its launch), so it acts only when something
//    wakes it, or it waits for a time (a quantum boundary, settling before
//    it sleeps: Vcpu::sync_before_sleep), which bounds the caller;
//  - the vCPU's time is before the end of the kernel's current run
//    (sc_start), where the run checks its duration, watchdog and progress.
// A vCPU that wakes the others (a store to a line they poll, an MSI) does so
// through the kernel, so they act after it synchronises at its next point.
// Busy vCPUs resuming at the same picosecond run in the order of the
// kernel's timed-event heap, which every skipped hand-off reshapes, so a
// shared resource they reach at that picosecond must not depend on their
// order: the DRAM refresh serves the requests it held in turns by core
// (models/host/uncore.h), not in the order they come.
// Sleeping ahead (polling without settling first, Vcpu::sleep_on_line)
// needs every other vCPU asleep or settling: with busy ones about it
// changes the order in which they run their quanta, and a read that a
// writer's store in the reader's future orders after it (Vcpu::order_access)
// can come before it instead (measured: library/fanout.yaml's report moves,
// with or without an event at the poller's time; docs/performance.md).
// One per platform; vCPUs count as awake from elaboration on, so a vCPU that
// never reports going to sleep only keeps the others synchronising.
#pragma once

#include "models/core/types.h"

namespace ivsim {

class RunAhead {
 public:
  void add_vcpu() { ++awake_; }
  void fall_asleep() { --awake_; }
  void wake_up() { ++awake_; }
  // The caller is the only vCPU awake.
  bool alone() const { return awake_ == 1; }

  // The end of the kernel's current run; 0 (the default): no running ahead.
  void set_run_end(TimePs ps) { run_end_ps_ = ps; }
  TimePs run_end_ps() const { return run_end_ps_; }

  // Asleep for the scope of an untimed wait.
  class Asleep {
   public:
    explicit Asleep(RunAhead* r) : r_(r) {
      if (r_) r_->fall_asleep();
    }
    ~Asleep() {
      if (r_) r_->wake_up();
    }
    Asleep(const Asleep&) = delete;
    Asleep& operator=(const Asleep&) = delete;

   private:
    RunAhead* r_;
  };

 private:
  unsigned awake_ = 0;
  TimePs run_end_ps_ = 0;
};

}  // namespace ivsim
