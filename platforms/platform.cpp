#include "platforms/platform.h"

#include <map>
#include <stdexcept>

#include "models/hv/ivshmem_device.h"
#include "platforms/bar_allocator.h"
#include "platforms/config_error.h"
#include "workloads/guest_api.h"

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

std::vector<std::vector<CoreDistance>> distances(const Board& b) {
  unsigned n = 0;
  for (const auto& p : b.pcpus) n = std::max(n, p.id + 1);
  std::vector<std::vector<CoreDistance>> d(n, std::vector<CoreDistance>(n, CoreDistance::cross_die));
  for (const auto& a : b.pcpus)
    for (const auto& c : b.pcpus) {
      if (a.die != c.die)
        d[a.id][c.id] = CoreDistance::cross_die;
      else if (a.core == c.core)
        d[a.id][c.id] = CoreDistance::smt_sibling;
      else
        d[a.id][c.id] = CoreDistance::same_die;
    }
  return d;
}

}  // namespace

std::string WorkloadRun::status() const {
  for (const auto& r : roles)
    if (!r.error.empty()) return "failed";
  for (const auto& r : roles)
    if (!r.vcpu->finished()) return "blocked";
  return "completed";
}

Platform::Platform(const Scenario& scenario, const Board& board, const TimingParams& timing)
    : scenario_(scenario), board_(board), timing_(timing) {
  check_pcpus();
  layout_ = plan_host_layout(scenario_, board_);
  mem_ = std::make_unique<HostMemory>(board_.physical_address_bits);
  dir_ = std::make_unique<CoherenceDirectory>(timing_, distances(board_));
  hv_ = std::make_unique<Hypervisor>(*mem_, timing_, scenario_.max_vm_num);
  mem_module_ = std::make_unique<HostMemoryModule>("host_memory", *mem_);
  hv_module_ = std::make_unique<HypervisorModule>("hypervisor", *hv_);
  create_vms();
  create_ivshmem_devices();
  create_vcpus();
  place_workloads();
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
  for (const auto& cfg : scenario_.vms) {
    Vm& vm = hv_->create_vm(static_cast<VmId>(cfg.id), cfg.name, to_hv(cfg.load_order), layout_.ept_pool.at(cfg.id),
                            layout_.ept_pool_bytes.at(cfg.id), ept::LargePages{});
    vm.ram_gpa = 0;
    vm.ram_size = cfg.memory_mib * kMiB;
    vm.ram_hpa = layout_.vm_ram.at(cfg.id);
    // Guest RAM: write-back, readable, writable, executable.
    hv_->ept_add_mr(vm, vm.ram_hpa, vm.ram_gpa, vm.ram_size, ept::kRwx | ept::kWB);
  }
}

void Platform::create_ivshmem_devices() {
  std::map<unsigned, BarAllocator> allocators;
  for (std::size_t i = 0; i < scenario_.regions.size(); ++i) {
    const RegionConfig& r = scenario_.regions[i];
    if (r.provider != Provider::hypervisor) {
      const std::string path = "ivshmem[" + std::to_string(i) + "].provider";
      throw ConfigError(scenario_.where(path), path,
                        "Device Model regions (dm-land) are not modelled in this version; use Hypervisor");
    }
    for (const auto& m : r.members) {
      const VmConfig* vc = scenario_.find_vm(m.vm);
      auto it = allocators.try_emplace(vc->id, vc->load_order).first;
      const IvshmemBarValues bars = it->second.allocate_ivshmem(r.size_mib * kMiB);
      hv_->create_ivshmem_device(*hv_->vm(static_cast<VmId>(vc->id)), "hv:/" + r.name, m.vbdf, bars.bar0, bars.bar1,
                                 bars.bar2);
    }
  }
}

void Platform::create_vcpus() {
  hv_->set_interrupt_hook([this](Vm& vm, unsigned index, u8 vector, TimePs at, const Breakdown& blame) {
    for (Vcpu* v : vcpus_of(vm.id))
      if (v->config().index == index) v->raise_interrupt(vector, at, blame);
  });
  for (const auto& cfg : scenario_.vms) {
    Vm& vm = *hv_->vm(static_cast<VmId>(cfg.id));
    for (unsigned i = 0; i < cfg.pcpus.size(); ++i) {
      const std::string name = "vm" + std::to_string(cfg.id) + "_" + cfg.name + "_vcpu" + std::to_string(i);
      auto v =
          std::make_unique<Vcpu>(name.c_str(), VcpuConfig{vm.id, i, cfg.pcpus[i]}, timing_, *dir_, watchers_, *vm.ept);
      v->mem_socket.bind(mem_module_->socket);
      v->exit_socket.bind(hv_module_->exits);
      vm.vcpu_ports.push_back(exit_ports_++);
      ++vm.vcpu_count;
      vcpus_.push_back(std::move(v));
    }
  }
}

std::vector<Vcpu*> Platform::vcpus_of(VmId vm) const {
  std::vector<Vcpu*> out;
  for (const auto& v : vcpus_)
    if (v->config().vm == vm) out.push_back(v.get());
  return out;
}

Vcpu* Platform::vcpu(const std::string& vm_name, unsigned index) const {
  const VmConfig* vc = scenario_.find_vm(vm_name);
  if (!vc) return nullptr;
  for (const auto& v : vcpus_)
    if (v->config().vm == vc->id && v->config().index == index) return v.get();
  return nullptr;
}

void Platform::place_workloads() {
  std::map<Vcpu*, std::string> taken;
  std::map<unsigned, std::string> busy_pcpu;  // pCPU -> the role running there
  for (std::size_t wi = 0; wi < scenario_.workloads.size(); ++wi) {
    const WorkloadConfig& wc = scenario_.workloads[wi];
    const WorkloadKind* kind = find_workload_kind(wc.kind);
    auto run = std::make_unique<WorkloadRun>();
    run->config = &wc;
    const RegionConfig* region = nullptr;
    for (const auto& r : scenario_.regions)
      if (r.name == wc.region) region = &r;
    for (const RoleSpec& spec : kind->roles) {
      const GuestRef& ref = wc.roles.at(spec.name);
      const std::string path = "workloads[" + std::to_string(wi) + "].roles." + spec.name;
      Vcpu* cpu = vcpu(ref.vm, ref.vcpu);
      if (!cpu) throw ConfigError(scenario_.where(path), path, "no such vCPU");
      auto [it, fresh] = taken.emplace(cpu, wc.name + "." + spec.name);
      if (!fresh)
        throw ConfigError(scenario_.where(path), path,
                          "vCPU " + std::to_string(ref.vcpu) + " of " + ref.vm + " already runs " + it->second);
      // Idle vCPUs (halted) may share a pCPU; two busy ones need the
      // scheduler model, which this version does not have.
      auto [pit, pfresh] = busy_pcpu.emplace(cpu->config().pcpu, wc.name + "." + spec.name);
      if (!pfresh)
        throw ConfigError(scenario_.where(path), path,
                          "pCPU " + std::to_string(cpu->config().pcpu) + " already runs " + pit->second +
                              "; two busy vCPUs on one pCPU need a scheduler model (" + scenario_.scheduler +
                              "), not available in this version");
      run->roles.push_back(RoleRun{spec.name, cpu, ""});
    }
    for (std::size_t ri = 0; ri < kind->roles.size(); ++ri) {
      const RoleSpec& spec = kind->roles[ri];
      WorkloadContext ctx;
      ctx.config = &wc;
      ctx.metrics = &run->metrics;
      ctx.role = spec.name;
      for (const auto& m : region->members)
        if (m.vm == wc.roles.at(spec.name).vm) ctx.ivshmem_bdf = m.vbdf;
      for (const auto& [role_name, ref] : wc.roles)
        ctx.role_vm[role_name] = static_cast<VmId>(scenario_.find_vm(ref.vm)->id);
      RoleRun* role = &run->roles[ri];
      RoleProgram program = spec.program;
      role->vcpu->set_program([ctx, program, role](Vcpu& cpu) {
        Guest guest(cpu);
        try {
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
