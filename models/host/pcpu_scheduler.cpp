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
  if (policy_ != SchedPolicy::noop) {
    // sched_{iorr,bvt,prio}_pick_next: the runqueue's first.
    for (SchedEntity* e : runqueue_)
      if (!e->running) return e;
    return nullptr;
  }
  // SCHED_NOOP: its one vCPU.
  for (SchedEntity* e : entities_)
    if (e->runnable && !e->running) return e;
  return nullptr;
}

void PcpuScheduler::runqueue_remove(SchedEntity& e) {
  for (auto it = runqueue_.begin(); it != runqueue_.end(); ++it)
    if (*it == &e) {
      runqueue_.erase(it);
      return;
    }
}

namespace {

// BVT_VT_RATIO_MAX / weight, the weight clamped to [BVT_WEIGHT_MIN, BVT_WEIGHT_MAX].
u64 bvt_vt_ratio(const SchedEntity& e) { return 1024 / std::clamp(e.weight, 1u, 128u); }

}  // namespace

void PcpuScheduler::bvt_update_vt(SchedEntity& e, TimePs now) {
  if (now > e.vt_start_ps) {
    const u64 v = (now - e.vt_start_ps) * bvt_vt_ratio(e) + e.vt_residual;
    e.avt += static_cast<i64>(v / params_.bvt_mcu_ps);
    e.vt_residual = v % params_.bvt_mcu_ps;
  }
  e.vt_start_ps = now;
  e.evt = e.avt;  // no warp
  if (std::find(runqueue_.begin(), runqueue_.end(), &e) != runqueue_.end()) bvt_runqueue_add(e);
}

TimePs PcpuScheduler::bvt_run_end(const SchedEntity& e, TimePs now) const {
  // The second in the runqueue (e is first); alone, it runs on with no timer.
  const SchedEntity* second = nullptr;
  for (const SchedEntity* x : runqueue_)
    if (x != &e) {
      second = x;
      break;
    }
  if (!second) return kForever;
  const i64 lead = std::max<i64>(0, second->evt - e.evt);
  const u64 countdown = static_cast<u64>(lead) / bvt_vt_ratio(e) + static_cast<u64>(bvt_csa_mcu());
  return now + countdown * params_.bvt_mcu_ps;
}

bool PcpuScheduler::wake(SchedEntity& e, TimePs now) {
  const bool blocked = !e.runnable;
  e.runnable = true;
  e.runnable_since_ps = now;
  if (policy_ == SchedPolicy::iorr && blocked) {
    // sched_iorr_wake: to the head of the runqueue (runqueue_add_head).
    runqueue_insert(e, [](const SchedEntity&) { return false; });
  }
  if (policy_ == SchedPolicy::prio && blocked) {
    // sched_prio_wake (prio_queue_add): before the first of lower priority.
    runqueue_insert(e, [&](const SchedEntity& x) { return x.priority >= e.priority; });
  }
  if (policy_ == SchedPolicy::bvt && blocked) {
    // sched_bvt_wake: a thread back from a long sleep starts no further
    // behind than the allowance (else at svt), then joins the runqueue.
    const i64 threshold = svt_ - bvt_csa_mcu();
    e.avt = e.avt > threshold ? e.avt : svt_;
    e.evt = e.avt;
    bvt_runqueue_add(e);
  }
  if (!current_) return true;
  switch (policy_) {
    case SchedPolicy::prio:
      // wake_thread asks for a reschedule whatever the priorities, and
      // sched_prio_pick_next takes the runqueue's first: a higher-priority
      // thread preempts at once, and a runner of the same or higher
      // priority goes through the reschedule (and its kick's exit) to be
      // picked again.
      return blocked;
    case SchedPolicy::bvt:
      // wake_thread's reschedule request: sched_bvt_pick_next brings the
      // runner's virtual time up to date, picks the least evt and re-arms
      // the runner's timer against its new second. The runner goes through
      // that (it may be picked again).
      return blocked;
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
  switch (policy_) {
    case SchedPolicy::noop:
      return kForever;
    case SchedPolicy::iorr:
      // sched_iorr_pick_next replenishes a thread that has used its slice;
      // one preempted earlier keeps what it had left.
      while (e.left_ps <= 0) e.left_ps += static_cast<i64>(params_.slice_ps);
      return iorr_slice_end(e, now);
    case SchedPolicy::bvt:
      // sched_bvt_pick_next aligns svt with the runqueue's first at every
      // pick, one from the idle thread included.
      svt_ = runqueue_.empty() ? svt_ : runqueue_.front()->avt;
      e.vt_start_ps = now;
      return bvt_run_end(e, now);
    case SchedPolicy::prio:
      return kForever;  // runs until it blocks or a higher priority wakes
  }
  return kForever;
}

TimePs PcpuScheduler::renew_slice(SchedEntity& e, TimePs now) {
  switch (policy_) {
    case SchedPolicy::iorr:
      e.left_ps -= static_cast<i64>(now - running_since_ps_);
      running_since_ps_ = now;
      while (e.left_ps <= 0) e.left_ps += static_cast<i64>(params_.slice_ps);
      return iorr_slice_end(e, now);
    case SchedPolicy::bvt:
      bvt_update_vt(e, now);
      svt_ = runqueue_.empty() ? svt_ : runqueue_.front()->avt;
      return bvt_run_end(e, now);
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
    if (policy_ == SchedPolicy::bvt) bvt_update_vt(e, now);
    e.left_ps -= static_cast<i64>(now - running_since_ps_);
    current_ = nullptr;
    idle_since_ps_ = now;
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
  // sched_prio_sleep; a preempted one keeps its place.
  if (policy_ == SchedPolicy::prio && !stays_runnable) runqueue_remove(e);
  if (policy_ == SchedPolicy::bvt) {
    if (!stays_runnable) runqueue_remove(e);                // sched_bvt_sleep
    if (!runqueue_.empty()) svt_ = runqueue_.front()->avt;  // update_svt
  }
  return pick_next();
}

}  // namespace ivsim
