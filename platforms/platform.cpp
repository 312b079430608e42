#include "platforms/platform.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "models/core/noise_rng.h"
#include "models/hv/ivshmem_device.h"
#include "models/hv/ve820.h"
#include "platforms/bar_allocator.h"
#include "platforms/cache_allocation.h"
#include "platforms/config_error.h"
#include "platforms/ept_force_4k.h"
#include "platforms/lock_detection.h"
#include "platforms/region_ref.h"

#include <spdlog/spdlog.h>
#include "platforms/host_caches.h"
#include "workloads/guest_api.h"
#include "workloads/guest_os.h"
#include "workloads/guest_paging.h"

namespace ivsim {

namespace {

VmLoadOrder to_hv(LoadOrder o) {
  switch (o) {
    case LoadOrder::pre_launched:
      return VmLoadOrder::pre_launched;
    case LoadOrder::service_vm:
      return VmLoadOrder::service_vm;
    case LoadOrder::post_launched:
      return VmLoadOrder::post_launched;
  }
  return VmLoadOrder::post_launched;
}

}  // namespace

bool WorkloadRun::done() const {
  for (const auto& r : roles)
    if (!r.vcpu->finished()) return false;
  return true;
}

std::string WorkloadRun::status() const {
  for (const auto& r : roles)
    if (!r.error.empty()) return "failed";
  if (done()) return "completed";
  switch (cut) {
    case RunCut::duration:
      return "stopped";
    case RunCut::stall:
      return "stalled";
    case RunCut::interrupt:
      return "interrupted";
    case RunCut::none:
      break;
  }
  return "blocked";
}

TimePs WorkloadRun::last_progress_ps() const {
  TimePs t = 0;
  for (const auto& m : metrics.metrics()) t = std::max(t, m->last_end_ps);
  // Before its first sample a workload is bringing its guests up: probing
  // devices and mapping memory, trapped access after trapped access, each of
  // which may wait for the Service VM's device model and the scheduler. Those
  // count as progress, for a bring-up's worth of them: a guest that keeps
  // trapping without ever measuring is not making progress.
  const bool bringing_up = t == 0;
  for (const auto& r : roles) {
    if (r.vcpu->finished()) t = std::max(t, r.vcpu->finished_at_ps());
    if (bringing_up) t = std::max(t, r.vcpu->last_budgeted_exit_ps());
  }
  return t;
}

u64 WorkloadRun::progress_count() const {
  u64 n = 0;
  for (const auto& m : metrics.metrics()) n += m->histogram.count();
  for (const auto& r : roles) n += r.vcpu->finished() ? 1 : 0;
  return n;
}

Platform::Platform(const Scenario& scenario, const Board& board, const TimingParams& timing)
    : Platform(scenario, board, timing, HostTiming::uniform(timing, cache_topology(board).distance)) {}

Platform::Platform(const Scenario& scenario, const Board& board, const TimingParams& timing, const HostTiming& host)
    : scenario_(scenario), board_(board), timing_(timing), host_timing_(host) {
  check_pcpus();
  layout_ = plan_host_layout(scenario_, board_);
  if (layout_.overcommitted_mib)
    spdlog::warn(
        "post-launched VMs' memory ({} MiB) does not fit board {}'s RAM beside the other VMs and the hv-land "
        "reservation (a VM's RAM below and above 4 GiB one range each, none in the PCI hole): the twin backs it "
        "from host addresses past the board's RAM and runs them all",
        layout_.overcommitted_mib, board_.name);

  mem_ = std::make_unique<HostMemory>(board_.physical_address_bits);
  dir_ = std::make_unique<CoherenceDirectory>(host_timing_, cache_topology(board_));
  hv_ = std::make_unique<Hypervisor>(*mem_, timing_, scenario_.max_vm_num);
  hv_->set_max_emulated_mmio(scenario_.max_emulated_mmio);
  if (!board_.ioapics.empty()) hv_->set_platform_ioapics(board_.ioapics);
  hv_->set_apic_access_page(layout_.apic_access_page);
  mem_module_ = std::make_unique<HostMemoryModule>("host_memory", *mem_);
  hv_module_ = std::make_unique<HypervisorModule>("hypervisor", *hv_);
  create_vms();
  create_ivshmem_devices();
  warn_emulated_mmio_nodes();
  create_vcpus();
  create_schedulers();
  attach_hsm();
  create_noise_sources();
  place_workloads();
  warn_priority_ties();
}

void Platform::warn_priority_ties() {
  // sched_prio keeps equal priorities in arrival order and never rotates
  // them: a vCPU that spins keeps its pCPU from an equal one for good.
  if (sched_policy_from_name(scenario_.scheduler) != SchedPolicy::prio) return;
  std::set<const Vcpu*> busy;  // vCPUs that run a role or acrn-dm
  for (const auto& w : workloads_)
    for (const auto& r : w->roles) busy.insert(r.vcpu);
  if (hsm_ && hsm_->upcall_vcpu()) busy.insert(hsm_->upcall_vcpu());
  for (const auto& s : schedulers_) {
    std::map<int, std::vector<std::string>> by_priority;
    for (const SchedEntity* e : s->entities())
      if (busy.count(static_cast<const Vcpu*>(e->owner))) by_priority[e->priority].push_back(e->name);
    for (const auto& [priority, names] : by_priority)
      if (names.size() > 1) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        spdlog::warn(
            "SCHED_PRIO: {} share pCPU {} at priority {}: sched_prio never rotates equal priorities, so one that "
            "spins (polling, or a guest spinlock) keeps the others off the pCPU; give them different priorities "
            "(vms[].priority)",
            list, s->pcpu(), priority);
      }
  }
}

void Platform::warn_emulated_mmio_nodes() const {
  // Every node ACRN registers for the VM: create_vm's (the ECAM window and
  // the vIOAPICs, Hypervisor::create_vm) and, as the guest maps their BARs,
  // two for each hv-land IVSHMEM device (ivshmem_vbar_map: BAR0 and the
  // MSI-X table) and each PCI vUART (vmcs9900_map_vbar), and one for each
  // passed-through device with MSI-X (vdev_pt_map_msix): a User VM's
  // pci_devs, and every other such device of the board for the Service VM
  // (vpci_init_vdevs gives it what no pre-launched VM takes; a post-launched
  // VM's are its own until acrn-dm assigns them).
  std::set<u16> prelaunched_devs;
  for (const VmConfig& cfg : scenario_.vms)
    if (cfg.load_order == LoadOrder::pre_launched)
      for (pci::Bdf b : cfg.pci_devs) prelaunched_devs.insert(b.value());
  for (const VmConfig& cfg : scenario_.vms) {
    unsigned ivshmem = 0;
    for (const RegionConfig& r : scenario_.regions)
      if (r.provider == Provider::hypervisor)
        for (const RegionMember& m : r.members) ivshmem += m.vm == cfg.name;
    const bool service = cfg.load_order == LoadOrder::service_vm;
    const unsigned ioapics = service && !board_.ioapics.empty() ? board_.ioapics.size() : 1;
    unsigned msix = 0;
    if (service) {
      for (u16 b : board_.pci.msix) msix += prelaunched_devs.count(b) == 0;
    } else {
      for (pci::Bdf b : cfg.pci_devs) msix += board_.pci.msix.count(b.value());
    }
    const unsigned needed = 1 + ioapics + 2 * ivshmem + 2 * cfg.pci_vuarts + msix;
    if (needed <= scenario_.max_emulated_mmio) continue;
    spdlog::warn(
        "VM {} needs {} emulated MMIO nodes (the ECAM window 1, vIOAPIC {}, {} hv-land IVSHMEM device{} and {} PCI "
        "vUART{} 2 each, {} passed-through MSI-X table{} 1 each) where hypervisor.max_emulated_mmio "
        "(MAX_EMULATED_MMIO) is {}: once every node is in use, ACRN registers nothing for a BAR the guest maps and "
        "says so only at log level 5 (find_match_mmio_node), so the devices whose BARs come last go without their "
        "registers or MSI-X tables. The twin emulates the IVSHMEM devices' BARs alone and leaves the others' nodes "
        "free",
        cfg.name, needed, ioapics, ivshmem, ivshmem == 1 ? "" : "s", cfg.pci_vuarts, cfg.pci_vuarts == 1 ? "" : "s",
        msix, msix == 1 ? "" : "s", scenario_.max_emulated_mmio);
  }
}

Platform::~Platform() = default;

void Platform::check_pcpus() {
  for (std::size_t i = 0; i < scenario_.vms.size(); ++i) {
    const VmConfig& vm = scenario_.vms[i];
    for (std::size_t j = 0; j < vm.pcpus.size(); ++j) {
      const std::string path = "vms[" + std::to_string(i) + "].cpu_affinity[" + std::to_string(j) + "]";
      const unsigned p = vm.pcpus[j];
      if (!board_.find_pcpu(p))
        throw ConfigError(scenario_.where(path), path,
                          "pCPU " + std::to_string(p) + " does not exist on board " + board_.name + " (pCPUs 0-" +
                              std::to_string(board_.pcpus.size() - 1) + ")");
    }
  }
}

void Platform::create_vms() {
  if (layout_.ivshmem_bytes) {
    std::vector<IvshmemRegionPool::RegionSpec> specs;
    for (const auto& r : scenario_.regions)
      if (r.provider == Provider::hypervisor) specs.push_back({r.name, r.region_id, r.size_mib * kMiB});
    hv_->init_ivshmem_pool(layout_.ivshmem_base, specs);
  }
  // init_ept_pgtable: the page-size-change workaround's EPT for an RTVM
  // (is_rt_vm: GUEST_FLAG_RT, which the configurator gives its vm_type) and for the others.
  const bool force_4k = ept_force_4k_ipage(scenario_, board_).on;
  for (const auto& cfg : scenario_.vms) {
    const bool rt_vm = cfg.vm_type == "RTVM";
    Vm& vm = hv_->create_vm(
        static_cast<VmId>(cfg.id), cfg.name, to_hv(cfg.load_order), layout_.ept_pool.at(cfg.id),
        layout_.ept_pool_bytes.at(cfg.id),
        ept::LargePages{cfg.ept_max_page >= kPageSize2M, cfg.ept_max_page >= kPageSize1G, force_4k && rt_vm, force_4k});
    vm.ram_size = cfg.memory_mib * kMiB;
    vm.ram_hpa = layout_.vm_ram.at(cfg.id);
    vm.ram_high_hpa = layout_.vm_ram_high.at(cfg.id);
    // The Service VM sees host memory 1:1; the others see their RAM from 0.
    vm.ram_gpa = cfg.load_order == LoadOrder::service_vm ? vm.ram_hpa : 0;
    vm.ram_low_size = low_ram_bytes(cfg);
    vm.ram_high_size = high_ram_bytes(cfg);
    // Severity as the configurator assigns it (scenario_cfg_lib.py); an
    // RTVM's is RTVM_SEVERITY_LEVEL, lower with the Service VM supervising.
    vm.rt_vm = rt_vm;
    const u8 rtvm_severity = scenario_.service_vm_supervisor ? kSeverityRtvmUnderSupervisor : kSeverityRtvm;
    vm.severity = cfg.load_order == LoadOrder::service_vm ? kSeverityServiceVm
                  : rt_vm                                 ? rtvm_severity
                  : cfg.vm_type == "SAFETY_VM"            ? kSeveritySafetyVm
                                                          : kSeverityStandardVm;
    // create_vm: a post-launched VM whose acrn-dm asked for it polls for
    // I/O completion (vmmapi.c sets GUEST_FLAG_IO_COMPLETION_POLLING for an
    // RTVM or LAPIC passthrough).
    vm.is_polling_ioreq = cfg.load_order == LoadOrder::post_launched && (vm.rt_vm || cfg.lapic_passthrough);
    if (cfg.load_order == LoadOrder::service_vm) {
      prepare_service_vm_memmap(vm);
    } else if (cfg.load_order == LoadOrder::pre_launched) {
      prepare_prelaunched_vm_memmap(vm);
    }
    // A post-launched VM's RAM is mapped by its acrn-dm at launch
    // (HC_VM_SET_MEMORY_REGIONS from Service VM memory).

    // The BSP's vlapic_create, when the VM's vCPUs are created (before any
    // BAR is mapped): the APIC-access page at 0xFEE00000.
    hv_->vlapic_create(vm);
    // The static configuration of hv-land devices HC_ADD_VDEV is checked against.
    for (const auto& r : scenario_.regions)
      if (r.provider == Provider::hypervisor)
        for (const auto& m : r.members)
          if (m.vm == cfg.name) vm.static_ivshmem.push_back({"hv:/" + r.name, r.size_mib * kMiB});
    if (cfg.load_order != LoadOrder::post_launched) vm.state = VmState::running;
  }
}

void Platform::prepare_prelaunched_vm_memmap(Vm& vm) {
  // prepare_prelaunched_vm_memmap: the VM's memory, from its first host
  // byte on, backs its E820's entries in order (create_prelaunched_vm_e820):
  // RAM and the ACPI tables write-back, readable, writable, executable; the
  // reserved range under 1 MiB uncached.
  Hpa hpa = vm.ram_hpa;
  for (const PrelaunchedMapping& m : prelaunched_vm_memmap(create_prelaunched_vm_e820(vm.ram_size))) {
    hv_->ept_add_mr(vm, hpa, m.gpa, m.bytes, ept::kRwx | (m.uncached ? ept::kUC : ept::kWB));
    hpa += m.bytes;
  }
}

void Platform::prepare_service_vm_memmap(Vm& vm) {
  // prepare_service_vm_memmap: the whole physical range uncached, ...
  const u64 top = layout_.ram_top;
  hv_->ept_add_mr(vm, 0, 0, top, ept::kRwx | ept::kUC);
  // ... its E820 RAM write-back: all of host RAM but what the hypervisor
  // took with e820_alloc_memory, E820-reserved and so left UC: the EPT page
  // pools (reserve_buffer_for_ept_pages) and the hv-land IVSHMEM reservation ...
  const Hpa ram_end = layout_.ivshmem_bytes ? layout_.ivshmem_base : top;
  vm.ept->modify_mr(0, layout_.ept_pools_base, ept::kWB, ept::kMemTypeMask);
  vm.ept->modify_mr(layout_.ept_pools_end, ram_end - layout_.ept_pools_end, ept::kWB, ept::kMemTypeMask);
  // ... post-launched VMs' memory the twin placed past the board's RAM
  // (an overcommitted scenario) is Service VM memory too ...
  for (const auto& cfg : scenario_.vms)
    if (cfg.load_order == LoadOrder::post_launched && layout_.vm_ram.at(cfg.id) >= top)
      hv_->ept_add_mr(vm, layout_.vm_ram.at(cfg.id), layout_.vm_ram.at(cfg.id), cfg.memory_mib * kMiB,
                      ept::kRwx | ept::kWB);
  // ... then the hypervisor's image (get_hv_ram_size from its load address:
  // not the memory it took from the E820, which the Service VM keeps, UC),
  // the pre-launched VMs' memory and the PCI MMCONFIG window (owned by the
  // hypervisor's vPCI) carved out.
  if (layout_.hypervisor_end > layout_.hypervisor_base)
    hv_->ept_del_mr(vm, layout_.hypervisor_base, layout_.hypervisor_end - layout_.hypervisor_base);
  for (const auto& cfg : scenario_.vms)
    if (cfg.load_order == LoadOrder::pre_launched)
      hv_->ept_del_mr(vm, layout_.vm_ram.at(cfg.id), round_up(cfg.memory_mib * kMiB, kPageSize2M));
  hv_->ept_del_mr(vm, Hypervisor::kEcamBase, Hypervisor::kEcamSize);
  // The LAPIC page: vlapic_create unmaps it and maps the APIC-access page
  // there (create_vms).
}

void Platform::create_ivshmem_devices() {
  // Pre-launched and Service VMs get their hv-land devices from the static
  // configuration at VM creation (vpci_init_vdevs); a post-launched VM's
  // devices are created by its acrn-dm at launch: hv-land through
  // HC_ADD_VDEV, dm-land in acrn-dm itself.
  IvshmemBarMap all_bars;
  try {
    all_bars = allocate_ivshmem_bars(scenario_, board_);
  } catch (const BarAllocationError& e) {
    throw ConfigError(scenario_.where("vms"), "vms", "VM " + e.vm + ": " + e.what());
  }
  std::map<unsigned, std::vector<IvshmemArgument>> dm_args;
  for (std::size_t ri = 0; ri < scenario_.regions.size(); ++ri) {
    const RegionConfig& r = scenario_.regions[ri];
    const std::string name = (r.provider == Provider::hypervisor ? "hv:/" : "dm:/") + r.name;
    // ACRN's launch script gives acrn-dm "dm:/NAME,SIZE" with no region id
    // (launch_cfg_gen.py), so pci_ivshmem_init leaves its subsystem ID 0;
    // hv-land's comes from the hypervisor's configuration.
    const u16 launch_region_id = r.provider == Provider::hypervisor ? r.region_id : 0;
    if (r.provider == Provider::device_model && r.region_id != 0)
      spdlog::warn(
          "region {}: region_id {} does not reach a Device Model region's device: ACRN's launch script passes "
          "acrn-dm only dm:/{},SIZE, so the device's subsystem ID reads 0",
          r.name, r.region_id, r.name);
    for (std::size_t mi = 0; mi < r.members.size(); ++mi) {
      const RegionMember& m = r.members[mi];
      const VmConfig* vc = scenario_.find_vm(m.vm);
      const IvshmemBarValues bars = all_bars.at({ri, mi});
      if (vc->load_order == LoadOrder::post_launched) {
        dm_args[vc->id].push_back({name, r.size_mib * kMiB, launch_region_id, m.vbdf, bars.bar0, bars.bar1, bars.bar2});
      } else {
        hv_->create_ivshmem_device(*hv_->vm(static_cast<VmId>(vc->id)), name, m.vbdf, bars.bar0, bars.bar1, bars.bar2);
      }
    }
  }

  Vm* service_vm = nullptr;
  for (Vm* v : hv_->vms())
    if (v->load_order == VmLoadOrder::service_vm) service_vm = v;
  u64 dm_bytes = 0;
  for (const auto& r : scenario_.regions)
    if (r.provider == Provider::device_model) dm_bytes += 2 * r.size_mib * kMiB;  // room to align each object
  for (const auto& cfg : scenario_.vms) {
    if (cfg.load_order != LoadOrder::post_launched) continue;
    if (!service_vm)
      throw ConfigError(scenario_.where("vms"), "vms",
                        "post-launched VM " + cfg.name + " needs a SERVICE_VM to launch it (its device model)");
    if (!shm_) {
      if (dm_bytes + 64 * kMiB > service_vm->ram_size)
        throw ConfigError(scenario_.where("vms"), "vms",
                          "the Service VM's memory is too small for the Device Model regions' shm objects");
      // tmpfs pages for the shm objects, from the top of Service VM RAM.
      shm_ = std::make_unique<ShmNamespace>(service_vm->ram_hpa + service_vm->ram_size - dm_bytes, dm_bytes);
    }
    Vm& vm = *hv_->vm(static_cast<VmId>(cfg.id));
    device_models_.push_back(std::make_unique<DeviceModel>(*hv_, *service_vm, vm, *shm_));
    DeviceModel& dm = *device_models_.back();
    for (const auto& arg : dm_args[cfg.id]) dm.add_argument(arg);
    // acrn-dm launches the VM before simulated time starts.
    std::vector<std::string> errors;
    dm.launch(dm.boot_port(), errors);
    for (const auto& e : errors) {
      launch_errors_.push_back(cfg.name + ": " + e);
      spdlog::error("acrn-dm for {}: {} (the report's launch_errors)", cfg.name, e);
    }
    if (!hsm_) hsm_ = std::make_unique<Hsm>(*hv_, timing_);
    hsm_->attach(dm);
    hv_module_->attach_device_model(vm.id, *hsm_);
  }
}

void Platform::attach_hsm() {
  // The hypervisor upcalls the Service VM's vCPU 0 (arch_fire_hsm_interrupt).
  if (!hsm_) return;
  for (Vm* v : hv_->vms())
    if (v->load_order == VmLoadOrder::service_vm)
      if (Vcpu* c = vcpu(v->name, 0)) hsm_->set_upcall_vcpu(*c);
}

void Platform::create_schedulers() {
  // A pCPU that several vCPUs share gets the scenario's scheduler; a vCPU
  // alone on its pCPU simply runs.
  std::map<unsigned, std::vector<Vcpu*>> by_pcpu;
  for (const auto& v : vcpus_)
    if (!v->config().offline) by_pcpu[v->config().pcpu].push_back(v.get());
  const SchedPolicy policy = sched_policy_from_name(scenario_.scheduler);
  for (auto& [pcpu, cpus] : by_pcpu) {
    // SCHED_IORR's tick_timer on this pCPU: the phase its tick exits take
    // (platform_noise.cpp), whether or not they are simulated as noise.
    SchedParams params{timing_.iorr_slice_ps, timing_.bvt_mcu_ps, timing_.bvt_csa_ps, timing_.hv_sched_tick_ps, 0};
    if (params.tick_ps) params.tick_phase_ps = NoiseRng(scenario_.run.seed, "hv_tick", pcpu).below(params.tick_ps);
    if (cpus.size() < 2) continue;
    if (policy == SchedPolicy::noop) {
      std::string names;
      for (Vcpu* c : cpus) names += (names.empty() ? "" : ", ") + std::string(c->name());
      throw ConfigError(scenario_.where("hypervisor.scheduler"), "hypervisor.scheduler",
                        "SCHED_NOOP runs one vCPU per pCPU, but pCPU " + std::to_string(pcpu) + " has " + names +
                            "; use SCHED_IORR, SCHED_BVT or SCHED_PRIO, or give each vCPU its own pCPU");
    }
    schedulers_.push_back(std::make_unique<PcpuScheduler>(pcpu, policy, params));
    for (Vcpu* c : cpus) {
      const VmConfig* vc = nullptr;
      for (const auto& v : scenario_.vms)
        if (v.id == c->config().vm) vc = &v;
      c->attach_scheduler(*schedulers_.back(), scenario_.run.shared_pcpu_quantum_ns * 1000);
      c->set_sched_weights(vc->priority, vc->bvt_weight);
    }
  }
}

void Platform::create_vcpus() {
  hv_->set_interrupt_hook(
      [this](Vm& vm, unsigned index, const Hypervisor::Irq& irq, TimePs at, const Breakdown& blame) {
        // A physical IPI goes to a pCPU (a LAPIC-passthrough vCPU owns its
        // pCPU); the others to the vCPU's virtual LAPIC.
        const bool physical = irq.path == IrqPath::physical_ipi;
        const unsigned pcpu = vm.vcpu_pcpus.at(index);
        for (Vcpu* v : vcpus_of(vm.id))
          if (physical ? v->config().pcpu == pcpu : v->config().index == index)
            v->raise_interrupt(irq.vector, at, blame, irq.path, irq.nmi);
      });

  // The VM lifecycle the hypervisor drives (pause_vm, start_vm, shutdown_vm, reset_host).
  Hypervisor::Lifecycle life;
  life.start = [this](Vm& vm) {
    for (Vcpu* v : vcpus_of(vm.id)) v->launch();
  };
  life.pause = [this](Vm& vm) {
    for (Vcpu* v : vcpus_of(vm.id)) v->make_zombie();
  };
  life.reset = [this](Vm& vm) {
    for (Vcpu* v : vcpus_of(vm.id)) v->power_on_reset_next();
  };
  life.init_reset = [this](Vm& vm, unsigned index) {
    for (Vcpu* v : vcpus_of(vm.id))
      if (v->config().index == index) v->init_reset();
  };
  life.sipi_start = [this](Vm& vm, unsigned index) {
    for (Vcpu* v : vcpus_of(vm.id))
      if (v->config().index == index) v->sipi_start();
  };
  life.shutdown = [this](Vm& vm) {
    const std::string why = hv_->host_reset_by().empty()
                                ? "VM " + vm.name + " shut down: it rebooted, and ACRN does not relaunch a " +
                                      (vm.load_order == VmLoadOrder::service_vm ? "Service VM while a VM of higher "
                                                                                  "severity runs"
                                                                                : "pre-launched VM") +
                                      " (vm_reset.c)"
                                : "host reset: VM " + hv_->host_reset_by() +
                                      ", the VM of highest severity, rebooted (vm_reset.c reset_host)";
    for (auto& w : workloads_)
      for (auto& r : w->roles)
        if (r.vcpu->config().vm == vm.id && r.error.empty()) r.error = why;
    for (Vcpu* v : vcpus_of(vm.id)) v->shut_down();
  };
  life.kick_lock_instr_emulation = [this](Vm& vm, unsigned index) {
    const std::vector<Vcpu*> vcpus = vcpus_of(vm.id);
    for (Vcpu* v : vcpus)
      if (v->config().index != index) v->make_split_lock_request(*vcpus.at(index));
  };
  life.complete_lock_instr_emulation = [this](Vm& vm, unsigned index) {
    for (Vcpu* v : vcpus_of(vm.id))
      if (v->config().index != index) v->signal_split_lock_event();
  };
  life.wait_wbinvd = [this](Vm& vm, unsigned index) {
    const std::vector<Vcpu*> vcpus = vcpus_of(vm.id);
    for (Vcpu* v : vcpus)
      if (v->config().index != index) v->make_wbinvd_request(*vcpus.at(index));
  };
  life.sync_wbinvd = [this](Vm& vm, unsigned index) {
    for (Vcpu* v : vcpus_of(vm.id))
      if (v->config().index != index) v->signal_wbinvd_event();
  };
  life.host_interrupt = [this](Vm& vm, unsigned index, bool nmi) {
    for (Vcpu* v : vcpus_of(vm.id))
      if (v->config().index == index) v->host_interrupt(nmi);
  };
  life.init_signal = [this](Vm& vm, unsigned index) {
    for (Vcpu* v : vcpus_of(vm.id))
      if (v->config().index == index) v->init_signal();
  };
  life.ioreq_finished = [this](Vm& vm, unsigned vcpu, TimePs at) {
    if (hsm_) hsm_->ioreq_finished(vm.id, vcpu, at);
  };
  hv_->set_lifecycle(std::move(life));
  hv_->attach_caches(dir_.get());
  hv_->set_split_lock_core_cap(enumerates_split_lock_detection(board_));
  hv_->set_cpu_signature(board_.family_id, board_.model_id);
  hv_->set_hyperv(scenario_.hyperv);
  hv_->configure_log({scenario_.build_type == "debug", scenario_.has_serial_console(), scenario_.console_loglevel,
                      timing_.serial_char_ps});
  hv_->set_max_pcpus(static_cast<unsigned>(board_.pcpus.size()));

  // cpu_do_idle halts a pCPU only in IDLE_MODE_HLT, which create_vcpu
  // leaves for IPI kicks and takes away for a LAPIC-passthrough vCPU (its
  // root mode keeps interrupts off, so a HLT there would never end).
  std::set<unsigned> spinning_pcpus;
  const std::set<unsigned> offline_pcpus = service_vm_offline_pcpus(scenario_);
  for (const auto& cfg : scenario_.vms)
    if (cfg.lapic_passthrough || scenario_.idle == "PAUSE") spinning_pcpus.insert(cfg.pcpus.begin(), cfg.pcpus.end());
  for (const auto& cfg : scenario_.vms) {
    Vm& vm = *hv_->vm(static_cast<VmId>(cfg.id));
    vm.lapic_pt = cfg.lapic_passthrough;
    vm.hide_mtrr = cfg.hide_mtrr;
    // guest_flags.py: a pre-launched RTVM of a debug build has the PMU.
    vm.pmu_pt = cfg.vm_type == "RTVM" && cfg.load_order == LoadOrder::pre_launched && scenario_.build_type == "debug";
    for (unsigned i = 0; i < cfg.pcpus.size(); ++i) {
      const std::string name = "vm" + std::to_string(cfg.id) + "_" + cfg.name + "_vcpu" + std::to_string(i);
      // vlapic_create: a vCPU's LAPIC ID is its pCPU's.
      const u32 apic_id = board_.find_pcpu(cfg.pcpus[i])->apic_id;
      VcpuConfig vc{vm.id, i, cfg.pcpus[i], cfg.lapic_passthrough, apic_id, vm.ram_gpa, vm.ram_low_size};
      const FillWays ways = vcpu_fill_ways(scenario_, board_, cfg.name, i);
      vc.l2_fill_ways = ways.l2;
      vc.llc_fill_ways = ways.llc;
      vc.not_started = cfg.load_order == LoadOrder::post_launched && vm.state == VmState::created;
      vc.offline = cfg.load_order == LoadOrder::service_vm && offline_pcpus.count(cfg.pcpus[i]);
      vc.idle_halts = spinning_pcpus.count(cfg.pcpus[i]) == 0;
      // ACRN emulates a split lock (emulate_lock_instr), with the VM's
      // other vCPUs paused and an MTF step when it has several (created_vcpus
      // > 1); what the twin does not emulate warns.
      const LockDetections detect = lock_detections(scenario_, board_);
      vc.split_lock_emulated = detect.split == LockDetection::enumerated;
      vc.split_lock_detection = detect.split == LockDetection::unknown;
      vc.uc_lock_detection = detect.uc == LockDetection::unknown;
      auto v =
          std::make_unique<Vcpu>(name.c_str(), vc, host_timing_.by_pcpu.at(cfg.pcpus[i]), *dir_, watchers_, *vm.ept);
      // Alone on its pCPU, its CLOS stays loaded; a shared pCPU loads the
      // running vCPU's at each switch-in.
      if ((ways.l2 || ways.llc) && !vc.offline) v->load_clos();
      v->attach_run_ahead(run_ahead_);
      v->mem_socket.bind(mem_module_->socket);
      v->exit_socket.bind(hv_module_->exits);
      vm.vcpu_ports.push_back(exit_ports_++);
      vm.vlapics.push_back(&v->lapic());
      vm.vmcs.push_back(&v->vmcs());
      vm.guest_msrs.emplace_back();
      hv_->init_vmtrr(vm, i);
      vm.vcpu_pcpus.push_back(cfg.pcpus[i]);
      vm.vcpu_offline.push_back(vc.offline);
      ++vm.vcpu_count;
      vcpus_.push_back(std::move(v));
    }
    // The VMCSs as launch_vcpu's init_vmcs sets them; a post-launched VM's
    // again when HC_START_VM launches it.
    hv_->launch_vm(vm, 0);
  }
}

std::vector<Vcpu*> Platform::vcpus_of(VmId vm) const {
  std::vector<Vcpu*> out;
  for (const auto& v : vcpus_)
    if (v->config().vm == vm) out.push_back(v.get());
  return out;
}

u64 Platform::interrupts_received(VmId id) const {
  const Vm* vm = hv_->vm(id);
  if (!vm) return 0;
  u64 n = vm->interrupts_received;
  for (Vcpu* v : vcpus_of(id)) n += v->counters().timer_interrupts;
  return n;
}

Vcpu* Platform::vcpu(const std::string& vm_name, unsigned index) const {
  const VmConfig* vc = scenario_.find_vm(vm_name);
  if (!vc) return nullptr;
  for (const auto& v : vcpus_)
    if (v->config().vm == vc->id && v->config().index == index) return v.get();
  return nullptr;
}

void Platform::place_workloads() {
  // The lowest vCPU of a VM that runs a role boots its paging; the others wait for it (workloads/guest_paging.h).
  std::map<std::string, unsigned> boot_vcpu;
  for (const auto& w : scenario_.workloads)
    for (const auto& [role, ref] : w.roles) {
      auto [it, fresh] = boot_vcpu.emplace(ref.vm, ref.vcpu);
      if (!fresh) it->second = std::min(it->second, ref.vcpu);
    }
  std::map<Vcpu*, std::string> taken;
  for (std::size_t wi = 0; wi < scenario_.workloads.size(); ++wi) {
    const WorkloadConfig& wc = scenario_.workloads[wi];
    const WorkloadKind* kind = find_workload_kind(wc.kind);
    auto run = std::make_unique<WorkloadRun>();
    run->config = &wc;
    const RegionConfig* region = wc.region.empty() ? nullptr : find_region(scenario_, wc.region);

    const std::vector<RoleSpec> present = placed_roles(*kind, wc);
    for (const RoleSpec& spec : present) {
      const GuestRef& ref = wc.roles.at(spec.name);
      const std::string path = "workloads[" + std::to_string(wi) + "].roles." + spec.name;
      Vcpu* cpu = vcpu(ref.vm, ref.vcpu);
      if (!cpu) throw ConfigError(scenario_.where(path), path, "no such vCPU");
      auto [it, fresh] = taken.emplace(cpu, wc.name + "." + spec.name);
      if (!fresh)
        throw ConfigError(scenario_.where(path), path,
                          "vCPU " + std::to_string(ref.vcpu) + " of " + ref.vm + " already runs " + it->second);
      run->roles.push_back(RoleRun{spec.name, cpu, ""});
      cpu->set_exit_progress_budget(WorkloadRun::kBringUpExits);
    }
    for (std::size_t ri = 0; ri < present.size(); ++ri) {
      const RoleSpec& spec = present[ri];
      WorkloadContext ctx;
      ctx.config = &wc;
      ctx.metrics = &run->metrics;
      ctx.role = spec.name;
      if (region)
        for (const auto& m : region->members)

          if (m.vm == wc.roles.at(spec.name).vm) ctx.ivshmem_bdf = m.vbdf;
      for (const auto& [role_name, ref] : wc.roles)
        ctx.role_vm[role_name] = static_cast<VmId>(scenario_.find_vm(ref.vm)->id);
      for (const auto& [role_name, ref] : wc.roles) ctx.role_vcpu[role_name] = ref.vcpu;
      // What the guest's firmware tables (MADT) tell it: each CPU's APIC ID.
      for (const auto& [role_name, ref] : wc.roles)
        ctx.role_apic_id[role_name] = board_.find_pcpu(scenario_.find_vm(ref.vm)->pcpus.at(ref.vcpu))->apic_id;

      RoleRun* role = &run->roles[ri];
      RoleProgram program = spec.program;
      // A guest with paging builds its page tables before its first program runs.
      const VmConfig& vc = *scenario_.find_vm(wc.roles.at(spec.name).vm);
      ctx.os = vc.os;
      ctx.seed = scenario_.run.seed;
      ctx.max_vm_num = scenario_.max_vm_num;
      for (const auto& v : scenario_.vms) ctx.all_vms.push_back(static_cast<VmId>(v.id));
      Hypervisor* hv = hv_.get();
      ctx.vm_interrupts = [this](VmId id) { return interrupts_received(id); };
      ctx.platform_digest = [this] {
        std::string d =
            "vms=" + std::to_string(hv_->vms().size()) + " hv_devices=" + std::to_string(hv_->ivshmem_devices().size());
        std::size_t dm = 0;
        for (const auto& m : device_models_) dm += m->devices().size();
        return d + " dm_devices=" + std::to_string(dm);
      };
      ctx.vm_memory = [hv](VmId id, Gpa gpa, void* dst, u64 len) {
        const Vm* v = hv->vm(id);
        return v && hv->copy_from_gpa(*v, gpa, dst, len);
      };
      Vm* vm = hv_->vm(static_cast<VmId>(vc.id));
      std::optional<GuestPagingSpec> paging;
      if (vc.guest_paging && vm) {
        paging.emplace();
        paging->ram_base = vm->ram_gpa;
        paging->ram_bytes = vm->ram_low_size;
        paging->page_size = vc.guest_page_size;
        paging->bootstrap = role->vcpu->config().index == boot_vcpu.at(vc.name);
        paging->os = guest_os_kind(vc.os);
      }
      // Zephyr's boot page tables are built with the image (gen_mmu.py) and
      // arrive with it: the loader's copy into guest RAM, before the VM
      // runs, is untimed (copy_to_gpa).
      if (paging && guest_os_kind(vc.os) == GuestOsKind::zephyr)
        paging->image_loader = [hv, vm](Gpa gpa, const void* src, u64 len) {
          if (!hv->copy_to_gpa(*vm, gpa, src, len))
            throw std::runtime_error("loading the image's page tables: GPA not mapped");
        };
      role->vcpu->set_program([ctx, program, role, paging](Vcpu& cpu) {
        Guest guest(cpu);
        try {
          guest.enable_x2apic();
          if (paging) guest_paging_bring_up(guest, *paging);
          program(guest, ctx);
        } catch (const std::exception& e) {
          role->error = e.what();
        }
      });
    }
    workloads_.push_back(std::move(run));
  }
}

}  // namespace ivsim
