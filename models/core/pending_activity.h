// What the SystemC kernel has pending, asked once per change of it.
//
// A vCPU asks before every point it might run ahead of the kernel
// (models/cpu/run_ahead.h): several times per message. The kernel's answer,
// sc_time_to_pending_activity(), scans its run queues and its timed events
// each time (about 100 instructions). While one process runs, what is
// pending changes only through what that process does itself. So the
// answer holds until
//  - another process asks (a process that waits, on a time too, resumes
//    only in a later evaluation phase: ivsim makes no immediate
//    notifications);
//  - the kernel starts another evaluation phase: its change stamp moves
//    on, as every delta cycle moves it (sc_simcontext::change_stamp, the
//    counter sc_event::triggered compares);
//  - an ivsim model notifies an event: every notification goes through
//    notify() below, which starts a new epoch.
// Cancelling an event only makes activity later, and ivsim never cancels.
#pragma once

#include <systemc>

#include "models/core/types.h"

namespace ivsim::pending_activity {

namespace detail {
struct Cache {
  u64 epoch = 0;
  u64 cached_epoch = ~u64{0};
  u64 cached_stamp = ~u64{0};
  const void* cached_process = nullptr;
  TimePs ps = 0;
};
inline Cache cache;
}  // namespace detail

// sc_event::notify, for every timed or delta notification a model makes.
inline void notify(sc_core::sc_event& e, const sc_core::sc_time& delay) {
  ++detail::cache.epoch;
  e.notify(delay);
}

// A process spawned while the kernel runs may be runnable at once.
inline void cancel(sc_core::sc_event& e) {
  ++detail::cache.epoch;
  e.cancel();
}

inline void spawned() { ++detail::cache.epoch; }

// sc_time_to_pending_activity() in picoseconds: 0 when anything is pending
// now, else the delay to the next timed notification.
inline TimePs time_to_next_ps() {
  detail::Cache& c = detail::cache;
  const u64 stamp = sc_core::sc_get_curr_simcontext()->change_stamp();
  const void* process = sc_core::sc_get_current_process_b();
  if (c.cached_epoch != c.epoch || c.cached_stamp != stamp || c.cached_process != process || !process) {
    c.ps = sc_core::sc_time_to_pending_activity().value();
    c.cached_epoch = c.epoch;
    c.cached_stamp = stamp;
    c.cached_process = process;
  }
  return c.ps;
}

}  // namespace ivsim::pending_activity
