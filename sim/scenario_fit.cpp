#include "sim/scenario_fit.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "models/hv/vm.h"
#include "platforms/bar_allocator.h"
#include "platforms/host_caches.h"
#include "platforms/host_layout.h"
#include "platforms/host_timing.h"
#include "platforms/profile_choice.h"
#include "platforms/region_ref.h"
#include "platforms/timing_profile.h"
#include "sim/suggest.h"
#include "sim/utf8.h"
#include "workloads/guest_paging.h"
#include "workloads/measurements.h"
#include "workloads/workload_kind.h"

namespace ivsim {

namespace {

std::string mib(u64 bytes) { return std::to_string(bytes / kMiB) + " MiB"; }

class FitChecker {
 public:
  FitChecker(const Scenario& s, const Board& b, const FieldReader& f) : s_(s), board_(b), fields_(f) {}

  void check() {
    check_the_board();
    check_timing();
    check_functions();
    check_service_vm();
    check_service_vm_vbdfs();
    check_host_memory();
    check_pcpu_sharing();
    check_bars();
    check_roles();
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    fields_.fail(s_.where(path), path, msg);
  }

  // What any run on this board needs of it alone.
  void check_the_board() const {
    try {
      check_board(board_, s_.where("board"), "board");
    } catch (const ConfigError& e) {
      fail("board", e.message());
    }
  }

  // The profile the run will take and its overrides, as elaborate()
  // (sim/run.cpp) takes them: a profile is always found (the board's CPU, or
  // the nearest one), so this refuses only what the run would refuse, such as
  // an atom_ override on a profile without Atom cores.
  void check_timing() const {
    if (!s_.timing_profile.empty()) check_timing_profile_name(s_.timing_profile, s_.where("timing.profile"));
    check_timing_overrides(s_);
    const TimingProfile profile = timing_profile_for_run(s_, board_, false);
    (void)resolve_timing(profile);
    (void)host_timing(profile, board_, cache_topology(board_));
  }

  // A guest's bus scan (Linux's, and the twin's pci_scan_bus) looks at
  // functions 1-7 only behind a multi-function function 0; only a
  // Hypervisor region's device says it is one.
  void check_functions() const {
    std::map<std::pair<std::string, unsigned>, Provider> fn0;  // (VM, device) -> provider at function 0
    for (const auto& r : s_.regions)
      for (const auto& m : r.members)
        if (m.vbdf.fn == 0) fn0[{m.vm, m.vbdf.dev}] = r.provider;
    for (std::size_t i = 0; i < s_.regions.size(); ++i)
      for (std::size_t j = 0; j < s_.regions[i].members.size(); ++j) {
        const RegionMember& m = s_.regions[i].members[j];
        if (m.vbdf.fn == 0) continue;
        const pci::Bdf f0{m.vbdf.bus, m.vbdf.dev, 0};
        const auto it = fn0.find({m.vm, m.vbdf.dev});
        const std::string p = path_at(path_at("ivshmem", i) + ".members", j) + ".vbdf";
        if (it == fn0.end())
          fail(p, "VM " + m.vm + " has no device at " + f0.to_string() + ", so its bus scan never looks at " +
                      m.vbdf.to_string() + "; use function 0");
        if (it->second != Provider::hypervisor)
          fail(p, f0.to_string() + " in VM " + m.vm +
                      " is a Device Model device, which is single-function, so the bus scan never looks at " +
                      m.vbdf.to_string() + "; use function 0");
      }
  }

  // acrn-dm runs in the Service VM: post-launched VMs need one, and it keeps
  // the Device Model regions' shm objects at the top of its RAM.
  void check_service_vm() const {
    const VmConfig* service = nullptr;
    for (const auto& vm : s_.vms)
      if (vm.load_order == LoadOrder::service_vm) service = &vm;
    for (const auto& vm : s_.vms)
      if (vm.load_order == LoadOrder::post_launched && !service)
        fail(vm_path(s_, vm) + ".load_order",
             "post-launched VM " + vm.name + " needs a SERVICE_VM to launch it (its device model runs there)");
    u64 dm_bytes = 0;  // as Platform::create_ivshmem_devices sizes the shm space
    for (const auto& r : s_.regions)
      if (r.provider == Provider::device_model) dm_bytes += 2 * r.size_mib * kMiB;
    const bool launches = std::any_of(s_.vms.begin(), s_.vms.end(),
                                      [](const VmConfig& v) { return v.load_order == LoadOrder::post_launched; });
    if (service && launches && dm_bytes + 64 * kMiB > service->memory_mib * kMiB)
      fail(vm_path(s_, *service) + ".memory_mib", "the Service VM's " + mib(service->memory_mib * kMiB) +
                                                      " is too small: it needs 64 MiB for itself and acrn-dm, plus " +
                                                      mib(dm_bytes) + " for the Device Model regions' shm objects");
  }

  // The layout the platform will use, and the board's physical address width.
  void check_host_memory() const {
    const HostLayout l = plan_host_layout(s_, board_);  // throws when the VMs do not fit the board's RAM
    u64 top = l.ram_top;
    for (const auto& vm : s_.vms) {
      const u64 high = high_ram_bytes(vm), below = vm.memory_mib * kMiB - high;
      top = std::max({top, l.vm_ram.at(vm.id) + round_up(below, kPageSize2M),
                      l.vm_ram_high.at(vm.id) + round_up(high, kPageSize2M)});
    }
    const unsigned bits = board_.physical_address_bits;
    if (bits < 64 && top > (u64{1} << bits))
      fail("board", "board " + board_.name + " has " + std::to_string(bits) + " physical address bits (" +
                        mib(u64{1} << bits) + " of host addresses), but its RAM and the VMs' memory reach " +
                        mib(round_up(top, kMiB)));
  }

  // vbdf_assignment.xsd: the Service VM sees the host's devices at their own
  // BDFs, so its IVSHMEM devices may not take one the board lists.
  void check_service_vm_vbdfs() const {
    for (std::size_t r = 0; r < s_.regions.size(); ++r)
      for (std::size_t j = 0; j < s_.regions[r].members.size(); ++j) {
        const RegionMember& m = s_.regions[r].members[j];
        const VmConfig* vm = s_.find_vm(m.vm);
        if (!vm || vm->load_order != LoadOrder::service_vm) continue;
        const auto native = board_.pci.listed.find(m.vbdf.value());
        if (native == board_.pci.listed.end()) continue;
        fail(path_at(path_at("ivshmem", r) + ".members", j) + ".vbdf",
             "VBDF " + m.vbdf.to_string() + " of the Service VM's IVSHMEM device is a native device's BDF on board " +
                 board_.name + " (\"" + native->second + "\"), where the Service VM sees that device; " +
                 free_service_vbdf_hint(m.vm));
      }
  }

  // The lowest 00:DD.0 from 00:08.0 up that neither the board nor the VM's
  // other IVSHMEM devices use.
  std::string free_service_vbdf_hint(const std::string& vm) const {
    std::set<u16> used;
    for (const auto& [bdf, line] : board_.pci.listed) used.insert(bdf);
    for (const auto& r : s_.regions)
      for (const auto& m : r.members)
        if (m.vm == vm) used.insert(m.vbdf.value());
    for (unsigned dev = 8; dev < 32; ++dev) {
      const pci::Bdf b{0, static_cast<u8>(dev), 0};
      if (!used.count(b.value())) return "give it one the board does not list, such as " + b.to_string();
    }
    return "give it one the board does not list";
  }

  // As Platform::create_schedulers: a pCPU that several vCPUs share needs a
  // scheduler that switches.
  void check_pcpu_sharing() const {
    if (s_.scheduler != "SCHED_NOOP") return;
    std::map<unsigned, std::vector<std::string>> by_pcpu;
    const std::set<unsigned> offline = service_vm_offline_pcpus(s_);
    for (const auto& vm : s_.vms)
      for (std::size_t i = 0; i < vm.pcpus.size(); ++i)
        if (vm.load_order != LoadOrder::service_vm || !offline.count(vm.pcpus[i]))
          by_pcpu[vm.pcpus[i]].push_back(vm.name + " vCPU " + std::to_string(i));
    for (const auto& [pcpu, users] : by_pcpu)
      if (users.size() > 1)
        fail("hypervisor.scheduler", "SCHED_NOOP runs one vCPU per pCPU, but pCPU " + std::to_string(pcpu) + " has " +
                                         join_list(users) +
                                         "; use SCHED_IORR, SCHED_BVT or SCHED_PRIO, or give each vCPU its own pCPU");
  }

  // Each VM's BAR windows, allocated as the platform will.
  void check_bars() const {
    try {
      (void)allocate_ivshmem_bars(s_, board_);
    } catch (const BarAllocationError& e) {
      std::string path = "vms";
      for (std::size_t i = 0; i < s_.vms.size(); ++i)
        if (s_.vms[i].name == e.vm) path = path_at("vms", i) + "." + e.device;
      // An IVSHMEM device ("ivshmem[R]"): the member of that region that is this VM.
      for (std::size_t r = 0; r < s_.regions.size(); ++r)
        if (e.device == path_at("ivshmem", r))
          for (std::size_t j = 0; j < s_.regions[r].members.size(); ++j)
            if (s_.regions[r].members[j].vm == e.vm) path = path_at(path_at("ivshmem", r) + ".members", j);
      fail(path, "VM " + e.vm + ": " + e.what());
    }
  }

  // Guest RAM below 4 GiB as the platform maps it; with guest paging the
  // tables sit at its top.
  RolePlacement placement(const VmConfig& vm) const {
    RolePlacement r;
    r.vm = &vm;
    r.ram_end = low_ram_bytes(vm);
    r.scratch_end = r.ram_end;
    if (vm.guest_paging) {
      const u64 reserve = paging_reserve(vm);
      if (reserve > r.ram_end / 2)
        fail(vm_path(s_, vm) + ".memory_mib",
             "VM " + vm.name + "'s page tables (up to " + std::to_string(reserve / kPageSize4K) +
                 " pages for its RAM and device windows) would take more than half of its " + mib(r.ram_end) +
                 " below 4 GiB; give it more memory_mib, a larger guest_page_size, or guest_paging: false");
      r.scratch_end -= reserve;
    }
    return r;
  }

  u64 paging_reserve(const VmConfig& vm) const {
    std::vector<u64> windows;
    for (const auto& r : s_.regions)
      for (const auto& m : r.members)
        if (m.vm == vm.name) windows.insert(windows.end(), {kPageSize4K, kPageSize4K, r.size_mib * kMiB});
    return guest_paging_reserve_bound(low_ram_bytes(vm), vm.guest_page_size, windows);
  }

  // One role per vCPU (as Platform::place_workloads), then what each kind
  // needs of where its roles run.
  void check_roles() const {
    std::map<std::pair<std::string, unsigned>, std::string> taken;  // (VM, vCPU) -> workload.role
    const std::set<unsigned> offline = service_vm_offline_pcpus(s_);
    for (std::size_t wi = 0; wi < s_.workloads.size(); ++wi) {
      const WorkloadConfig& w = s_.workloads[wi];
      const std::string wp = path_at("workloads", wi);
      const WorkloadKind* kind = find_workload_kind(w.kind);
      WorkloadPlacement where;
      where.config = &w;
      where.region = w.region.empty() ? nullptr : find_region(s_, w.region);
      for (const RoleSpec& spec : placed_roles(*kind, w)) {
        const GuestRef& ref = w.roles.at(spec.name);
        const auto [it, fresh] = taken.emplace(std::make_pair(ref.vm, ref.vcpu), w.name + "." + spec.name);
        if (!fresh)
          fail(wp + ".roles." + spec.name,
               "vCPU " + std::to_string(ref.vcpu) + " of " + ref.vm + " already runs " + it->second);
        const VmConfig& vm = *s_.find_vm(ref.vm);
        if (vm.load_order == LoadOrder::service_vm && ref.vcpu < vm.pcpus.size() && offline.count(vm.pcpus[ref.vcpu]))
          fail(wp + ".roles." + spec.name, "vCPU " + std::to_string(ref.vcpu) + " of " + ref.vm + " is offline: pCPU " +
                                               std::to_string(vm.pcpus[ref.vcpu]) +
                                               " belongs to a post-launched VM whose launch takes it (an RTVM, "
                                               "SCHED_NOOP or own_pcpu)");
        where.roles[spec.name] = placement(vm);
      }
      if (kind->check)
        if (const auto problem = kind->check(where)) fail(wp + "." + problem->field, problem->message);
    }
  }

  const Scenario& s_;
  const Board& board_;
  const FieldReader& fields_;
};

}  // namespace

std::string vm_path(const Scenario& s, const VmConfig& vm) {
  return path_at("vms", static_cast<std::size_t>(&vm - s.vms.data()));
}

void check_board(const Board& board, const SourceLocation& where, const std::string& field) {
  // The board's names end up in `show --json` and the report.
  for (const std::string* t : {&board.name, &board.cpu_model})
    if (const auto at = invalid_utf8_at(*t))
      throw ConfigError(where, field,
                        "the board file's name or CPU model is not valid UTF-8 (byte " + std::to_string(*at) + ")");
  try {
    (void)cache_topology(board);
  } catch (const ConfigError& e) {
    throw ConfigError(where, field, "board " + board.name + ": " + e.message());
  }
  const unsigned bits = board.physical_address_bits;
  const u64 ram = board.ram_mib * kMiB;
  if (bits < 64 && ram > (u64{1} << bits))
    throw ConfigError(where, field,
                      "board " + board.name + " has " + std::to_string(bits) + " physical address bits (" +
                          mib(u64{1} << bits) + " of host addresses), fewer than its " + mib(ram) + " of RAM needs");
}

void check_scenario_fit(const Scenario& s, const Board& board, const FieldReader& fields) {
  FitChecker(s, board, fields).check();
}

}  // namespace ivsim
