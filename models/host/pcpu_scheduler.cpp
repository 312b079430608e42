#include "models/host/pcpu_scheduler.h"

#include <algorithm>
#include <stdexcept>

namespace ivsim {

SchedPolicy sched_policy_from_name(const std::string& name) {
  if (name == "SCHED_NOOP") return SchedPolicy::noop;
  if (name == "SCHED_IORR") return SchedPolicy::iorr;
  if (name == "SCHED_BVT") return SchedPolicy::bvt;
  if (name == "SCHED_PRIO") return SchedPolicy::prio;
  throw std::invalid_argument("unknown scheduler " + name);
}

bool PcpuScheduler::others_runnable(const SchedEntity& e) const {
  for (const SchedEntity* x : entities_)
    if (x != &e && x->runnable) return true;
  return false;
}

SchedEntity* PcpuScheduler::pick_next() const {
  if (policy_ == SchedPolicy::iorr) {
    // sched_iorr_pick_next: the runqueue's first.
    for (SchedEntity* e : runqueue_)
      if (!e->running) return e;
    return nullptr;
  }
  SchedEntity* best = nullptr;
  const std::size_t n = entities_.size();
  for (std::size_t k = 0; k < n; ++k) {
    // Ties go to the first after the last one that ran.
    SchedEntity* e = entities_[(rr_next_ + k) % n];
    if (!e->runnable || e->running) continue;
    if (!best) {
      best = e;
      if (policy_ == SchedPolicy::noop) break;
      continue;
    }
    if (policy_ == SchedPolicy::prio && e->priority > best->priority) best = e;
    if (policy_ == SchedPolicy::bvt && e->avt_ps < best->avt_ps) best = e;
  }
  return best;
}

void PcpuScheduler::runqueue_remove(SchedEntity& e) {
  for (auto it = runqueue_.begin(); it != runqueue_.end(); ++it)
    if (*it == &e) {
      runqueue_.erase(it);
      return;
    }
}

bool PcpuScheduler::wake(SchedEntity& e, TimePs now) {
  const bool blocked = !e.runnable;
  e.runnable = true;
  e.runnable_since_ps = now;
  if (policy_ == SchedPolicy::iorr && blocked) {
    // sched_iorr_wake: to the head of the runqueue (runqueue_add_head).
    runqueue_remove(e);
    runqueue_.push_front(&e);
  }
  if (!current_) return true;
  switch (policy_) {
    case SchedPolicy::prio:
      // sched_prio: a higher-priority thread preempts at once.
      return e.priority > current_->priority;
    case SchedPolicy::bvt: {
      // sched_bvt: a woken thread preempts when its virtual time is behind
      // the running one's by more than the context-switch allowance.
      const TimePs cur = current_->avt_ps + (now - running_since_ps_) / current_->weight;
      return e.avt_ps + params_.bvt_csa_ps < cur;
    }
    case SchedPolicy::iorr:
      // wake_thread asks for a reschedule, and sched_iorr_pick_next puts the
      // running thread at the tail and takes the head: a thread that was
      // blocked (halted, waiting for I/O) preempts at once. One that was
      // switched out runnable waits for its turn.
      return blocked;
    case SchedPolicy::noop:
      return false;
  }
  return false;
}

TimePs PcpuScheduler::switch_in(SchedEntity& e, TimePs now) {
  if (last_ && last_ != &e) ++e.context_switches;
  e.runnable_wait_ps += now - e.runnable_since_ps;
  e.running = true;
  current_ = last_ = &e;
  running_since_ps_ = now;
  for (std::size_t i = 0; i < entities_.size(); ++i)
    if (entities_[i] == &e) rr_next_ = (i + 1) % entities_.size();
  switch (policy_) {
    case SchedPolicy::noop:
      return kForever;
    case SchedPolicy::iorr:
      // sched_iorr_pick_next replenishes a thread that has used its slice;
      // one preempted earlier keeps what it had left.
      while (e.left_ps <= 0) e.left_ps += static_cast<i64>(params_.slice_ps);
      return iorr_slice_end(e, now);
    case SchedPolicy::bvt:
      return now + params_.bvt_mcu_ps;
    case SchedPolicy::prio:
      return kForever;  // runs until it blocks or a higher priority wakes
  }
  return kForever;
}

TimePs PcpuScheduler::renew_slice(SchedEntity& e, TimePs now) {
  if (policy_ == SchedPolicy::bvt) {
    e.avt_ps += (now - running_since_ps_) / e.weight;
    running_since_ps_ = now;
  }
  switch (policy_) {
    case SchedPolicy::iorr:
      e.left_ps -= static_cast<i64>(now - running_since_ps_);
      running_since_ps_ = now;
      while (e.left_ps <= 0) e.left_ps += static_cast<i64>(params_.slice_ps);
      return iorr_slice_end(e, now);
    case SchedPolicy::bvt:
      return now + params_.bvt_mcu_ps;
    default:
      return kForever;
  }
}

TimePs PcpuScheduler::iorr_slice_end(const SchedEntity& e, TimePs now) const {
  const TimePs end = now + static_cast<TimePs>(e.left_ps);
  const TimePs tick = params_.tick_ps, phase = params_.tick_phase_ps;
  if (tick == 0 || end <= phase) return std::max(end, phase);
  // The tick consumes the slice and asks for a reschedule once left_cycles
  // is 0 or less: a slice runs on to the tick after its end, and what it
  // overran comes off the next one (left_ps goes negative at the switch).
  return phase + (end - phase + tick - 1) / tick * tick;
}

SchedEntity* PcpuScheduler::switch_out(SchedEntity& e, TimePs now, bool stays_runnable) {
  if (current_ == &e) {
    e.avt_ps += (now - running_since_ps_) / e.weight;
    e.left_ps -= static_cast<i64>(now - running_since_ps_);
    current_ = nullptr;
  }
  e.running = false;
  e.runnable = stays_runnable;
  if (stays_runnable) e.runnable_since_ps = now;
  if (policy_ == SchedPolicy::iorr) {
    // Preempted or out of slice: to the tail (sched_iorr_pick_next);
    // blocked: out of the runqueue (sched_iorr_sleep).
    runqueue_remove(e);
    if (stays_runnable) runqueue_.push_back(&e);
  }
  return pick_next();
}

}  // namespace ivsim
