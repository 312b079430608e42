// Who runs on a pCPU when several vCPUs share it: the policies of ACRN's
// hypervisor/common/sched_{noop,iorr,bvt,prio}.c, as plain C++. The vCPU
// module asks it at its synchronisation points (slice end, block, wake-up);
// the SystemC side (waiting, waking) stays in the vCPU.
#pragma once

#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

enum class SchedPolicy : u8 { noop, iorr, bvt, prio };

// Throws std::invalid_argument for an unknown name ("SCHED_IORR", ...).
SchedPolicy sched_policy_from_name(const std::string& name);

struct SchedParams {
  TimePs slice_ps = 10'000'000'000;   // SCHED_IORR time slice
  TimePs bvt_mcu_ps = 1'000'000'000;  // SCHED_BVT minimum charging unit (BVT_MCU_MS)
  TimePs bvt_csa_ps = 5'000'000'000;  // SCHED_BVT context-switch allowance (BVT_CSA_MCU units of it)
  // SCHED_IORR checks the runner's slice on a periodic tick (sched_tick_handler):
  // every tick_ps from tick_phase_ps. 0: at the exact end.
  TimePs tick_ps = 0;
  TimePs tick_phase_ps = 0;
};

// A vCPU as the scheduler sees it (ACRN's thread_object).
struct SchedEntity {
  std::string name;
  void* owner = nullptr;  // the vCPU module behind it

  int priority = 0;     // SCHED_PRIO: higher runs first
  unsigned weight = 1;  // SCHED_BVT: share of the pCPU
  bool runnable = false;
  bool running = false;
  TimePs runnable_since_ps = 0;
  // SCHED_BVT (sched_bvt_data): actual and effective virtual time in
  // charging units, run time scaled by 1024 / weight (vt_ratio); the
  // remainder below a unit; when it last started running.
  i64 avt = 0;
  i64 evt = 0;
  u64 vt_residual = 0;
  TimePs vt_start_ps = 0;
  i64 left_ps = 0;  // SCHED_IORR: what is left of its slice (sched_iorr_data.left_cycles)
  // Statistics for the report.
  u64 context_switches = 0;     // times it was switched in after another entity
  TimePs runnable_wait_ps = 0;  // runnable but not running
};

class PcpuScheduler {
 public:
  static constexpr TimePs kForever = std::numeric_limits<TimePs>::max();

  PcpuScheduler(unsigned pcpu, SchedPolicy policy, const SchedParams& params)
      : pcpu_(pcpu), policy_(policy), params_(params) {}

  unsigned pcpu() const { return pcpu_; }
  SchedPolicy policy() const { return policy_; }
  void add(SchedEntity& e) {
    entities_.push_back(&e);
    e.left_ps = static_cast<i64>(params_.slice_ps);  // sched_iorr_init_data
  }
  const std::vector<SchedEntity*>& entities() const { return entities_; }

  SchedEntity* current() const { return current_; }
  // When the pCPU was last left with nobody running (its idle thread's
  // turn since, while current() is null).
  TimePs idle_since_ps() const { return idle_since_ps_; }
  SchedEntity* last() const { return last_; }
  bool others_runnable(const SchedEntity& e) const;

  // The entity becomes runnable (woken or started, or back in line after
  // it was switched out runnable). True when the current one must go
  // through a reschedule now (wake_thread's make_reschedule_request); the
  // reschedule may pick the current one again.
  bool wake(SchedEntity& e, TimePs now);
  // The entity gets the pCPU; returns the end of its slice.
  TimePs switch_in(SchedEntity& e, TimePs now);
  // The current entity stops running (blocked, or preempted if it stays
  // runnable); returns who runs next, or nullptr.
  SchedEntity* switch_out(SchedEntity& e, TimePs now, bool stays_runnable);
  // The running entity keeps the pCPU for another slice (nobody else waits).
  TimePs renew_slice(SchedEntity& e, TimePs now);
  // Who would run next if the pCPU were free now.
  SchedEntity* pick_next() const;

 private:
  void runqueue_remove(SchedEntity& e);
  // Into the runqueue after every entity `first` says goes before it.
  template <class First>
  void runqueue_insert(SchedEntity& e, First first) {
    runqueue_remove(e);
    auto it = runqueue_.begin();
    while (it != runqueue_.end() && first(**it)) ++it;
    runqueue_.insert(it, &e);
  }
  // SCHED_BVT: into the runqueue by evt, after equal ones (runqueue_add).
  void bvt_runqueue_add(SchedEntity& e) {
    runqueue_insert(e, [&](const SchedEntity& x) { return x.evt <= e.evt; });
  }
  // update_vt: the running entity's virtual time up to now.
  void bvt_update_vt(SchedEntity& e, TimePs now);
  // When the one-shot tick sched_bvt_pick_next arms for e ends its run:
  // its lead over the second, in physical units, plus the allowance.
  TimePs bvt_run_end(const SchedEntity& e, TimePs now) const;
  i64 bvt_csa_mcu() const { return static_cast<i64>(params_.bvt_csa_ps / params_.bvt_mcu_ps); }
  // SCHED_IORR: when a slice with left_ps left, started at now, ends: the
  // first tick that finds it used up.
  TimePs iorr_slice_end(const SchedEntity& e, TimePs now) const;

  unsigned pcpu_;
  SchedPolicy policy_;
  SchedParams params_;
  std::vector<SchedEntity*> entities_;
  SchedEntity* current_ = nullptr;
  SchedEntity* last_ = nullptr;  // the last one that ran (a switch costs only when it changes)
  TimePs running_since_ps_ = 0;
  TimePs idle_since_ps_ = 0;
  // Runnable entities in the policy's order, the running one included.
  std::deque<SchedEntity*> runqueue_;
  i64 svt_ = 0;  // SCHED_BVT: the runqueue first's avt when it was last picked (update_svt)
};

}  // namespace ivsim
