// A scenario turned into a SystemC platform: host memory, the coherence
// directory, the hypervisor with its VMs, EPTs and IVSHMEM devices, one vCPU
// module per guest vCPU, and the workloads' programs placed on their vCPUs.
// Build it before sc_start (one elaboration per process).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/core/metrics.h"
#include "models/cpu/line_watchers.h"
#include "models/cpu/vcpu_module.h"
#include "models/dm/device_model.h"
#include "models/dm/hsm_module.h"
#include "models/dm/shm_namespace.h"
#include "models/host/coherence_directory.h"
#include "models/host/host_memory.h"
#include "models/host/host_memory_module.h"
#include "models/hv/hypervisor.h"
#include "models/hv/hypervisor_module.h"
#include "platforms/board.h"
#include "platforms/host_layout.h"
#include "platforms/scenario.h"
#include "workloads/workload_kind.h"

namespace ivsim {

struct RoleRun {
  std::string role;
  Vcpu* vcpu = nullptr;
  std::string error;  // what stopped the guest program, if anything
};

// Why a run ended before every workload finished.
enum class RunCut : u8 {
  none,       // the simulation ran out of events by itself
  duration,   // run.duration_us was reached
  stall,      // no workload progressed for run.watchdog_ms, or nothing was left to simulate
  interrupt,  // SIGINT or SIGTERM
};

struct WorkloadRun {
  const WorkloadConfig* config = nullptr;
  MetricSink metrics;
  std::vector<RoleRun> roles;
  RunCut cut = RunCut::none;  // how the run ended, if before this workload did

  bool done() const;  // every role's program has ended (finished or failed)
  // "completed", "failed" (a role's program stopped with an error), or for
  // a workload that did not finish: "stopped" (run.duration_us), "stalled"
  // (the watchdog), "interrupted", or "blocked" (the run ended otherwise).
  std::string status() const;
  // The simulated time of its last sign of progress: a sample recorded, a
  // role's program ending or, before the first sample, a trapped access
  // completed (up to kBringUpExits per role: a driver's bring-up takes a few
  // hundred).
  TimePs last_progress_ps() const;
  static constexpr u64 kBringUpExits = 100'000;
  // Samples recorded plus roles ended: grows while the workload progresses.
  u64 progress_count() const;
};

class Platform {
 public:
  // Throws ConfigError for what only the platform can check (pCPUs that the
  // board lacks, shared pCPUs, memory that does not fit).
  Platform(const Scenario& scenario, const Board& board, const TimingParams& timing);
  // A host whose pCPUs differ by core type: each vCPU gets its pCPU's
  // TimingParams, the caches each core's costs and each pair's transfer;
  // the hypervisor and device model run at `timing` (the profile's first
  // core type).
  Platform(const Scenario& scenario, const Board& board, const TimingParams& timing, const HostTiming& host);
  ~Platform();

  const Scenario& scenario() const { return scenario_; }
  const Board& board() const { return board_; }
  const HostLayout& layout() const { return layout_; }
  HostMemory& host_memory() { return *mem_; }
  // When the vCPUs may skip a synchronisation (the run sets the end of each sc_start).
  RunAhead& run_ahead() { return run_ahead_; }
  const CoherenceDirectory& directory() const { return *dir_; }
  CoherenceDirectory& directory() { return *dir_; }
  Hypervisor& hypervisor() { return *hv_; }
  const std::vector<std::unique_ptr<Vcpu>>& vcpus() const { return vcpus_; }
  std::vector<Vcpu*> vcpus_of(VmId vm) const;
  // Interrupts a VM's virtual LAPICs received: what the hypervisor sent
  // them (MSIs, IPIs, a timer that expired in an exit) and the LAPIC timer
  // expiries its vCPUs took on their own (Vcpu::follow_lapic_timer).
  u64 interrupts_received(VmId vm) const;
  Vcpu* vcpu(const std::string& vm_name, unsigned index) const;
  const std::vector<std::unique_ptr<WorkloadRun>>& workloads() const { return workloads_; }
  const std::vector<std::unique_ptr<DeviceModel>>& device_models() const { return device_models_; }
  const Hsm* hsm() const { return hsm_.get(); }  // null without post-launched VMs
  const ShmNamespace* shm_namespace() const { return shm_.get(); }
  // Why acrn-dm could not create a device when launching a VM (ACRN would
  // not start that VM; the twin runs it without the device and says so).
  const std::vector<std::string>& launch_errors() const { return launch_errors_; }

 private:
  void check_pcpus();
  void create_vms();
  void prepare_prelaunched_vm_memmap(Vm& vm);
  void prepare_service_vm_memmap(Vm& vm);
  void create_ivshmem_devices();
  void create_vcpus();
  void create_schedulers();
  // The sources of variation the scenario's noise section turns on (platform_noise.cpp).
  void create_noise_sources();
  void attach_hsm();

  void place_workloads();
  void warn_priority_ties();
  // A VM whose emulated MMIO nodes cannot hold every range ACRN registers
  // for it (hypervisor.max_emulated_mmio).
  void warn_emulated_mmio_nodes() const;

  const Scenario& scenario_;
  Board board_;
  TimingParams timing_;
  HostTiming host_timing_;
  HostLayout layout_;
  std::unique_ptr<HostMemory> mem_;
  std::unique_ptr<CoherenceDirectory> dir_;
  std::unique_ptr<Uncore> uncore_;
  LineWatchers watchers_;
  RunAhead run_ahead_;
  std::unique_ptr<Hypervisor> hv_;
  std::unique_ptr<HostMemoryModule> mem_module_;
  std::unique_ptr<HypervisorModule> hv_module_;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
  std::vector<std::unique_ptr<WorkloadRun>> workloads_;
  std::unique_ptr<ShmNamespace> shm_;
  std::vector<std::unique_ptr<DeviceModel>> device_models_;
  std::unique_ptr<Hsm> hsm_;  // the Service VM's HSM, serving every acrn-dm
  std::vector<std::string> launch_errors_;
  std::vector<std::unique_ptr<PcpuScheduler>> schedulers_;

  unsigned exit_ports_ = 0;
};

}  // namespace ivsim
