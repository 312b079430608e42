#include "models/hv/hypervisor.h"

#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "models/hv/ivshmem_device.h"

namespace ivsim {

Hypervisor::Hypervisor(HostMemory& mem, const TimingParams& timing, unsigned max_vm_num)
    : mem_(mem), timing_(timing), max_vm_num_(max_vm_num) {
  vms_.resize(max_vm_num);
}

Hypervisor::~Hypervisor() = default;

Vm& Hypervisor::create_vm(VmId id, const std::string& name, VmLoadOrder order, Hpa ept_pool_hpa, u64 ept_pool_bytes,
                          ept::LargePages large) {
  if (id >= max_vm_num_) throw std::invalid_argument("VM id not below MAX_VM_NUM");
  if (vms_[id]) throw std::invalid_argument("VM id already in use");
  auto vm = std::make_unique<Vm>();
  vm->id = id;
  vm->name = name;
  vm->load_order = order;
  vm->ept_pool = std::make_unique<ept::PagePool>(mem_, ept_pool_hpa, ept_pool_bytes);
  vm->ept = std::make_unique<ept::EptTable>(mem_, *vm->ept_pool, large);
  vms_[id] = std::move(vm);
  return *vms_[id];
}

std::vector<Vm*> Hypervisor::vms() const {
  std::vector<Vm*> out;
  for (const auto& v : vms_)
    if (v) out.push_back(v.get());
  return out;
}

void Hypervisor::init_ivshmem_pool(Hpa base, const std::vector<IvshmemRegionPool::RegionSpec>& specs) {
  pool_ = std::make_unique<IvshmemRegionPool>(base, specs, max_vm_num_);
}

IvshmemDevice& Hypervisor::create_ivshmem_device(Vm& vm, const std::string& prefixed_name, pci::Bdf bdf, u32 bar0,
                                                 u32 bar1, u64 bar2) {
  IvshmemRegion* region = pool_ ? pool_->find(prefixed_name) : nullptr;
  if (!region) throw std::invalid_argument("no hv-land IVSHMEM region named " + prefixed_name);
  ivshmem_devices_.push_back(std::make_unique<IvshmemDevice>(*this, vm, *region, bdf, bar0, bar1, bar2));
  vm.vpci.attach(*ivshmem_devices_.back());
  return *ivshmem_devices_.back();
}

void Hypervisor::handle_exit(VmExitExtension& exit, u64 addr, unsigned size, bool write, u8* data) {
  Vm* vm = this->vm(exit.vm);
  if (!vm) throw std::logic_error("VM exit from a VM the hypervisor does not know");
  ++vm->exits[static_cast<std::size_t>(exit.reason)];
  cost_ = &exit.cost;
  exit_ = &exit;
  cost_->add(Component::exit, timing_.vm_exit_entry_ps);
  u64 value = 0;
  if (write) std::memcpy(&value, data, size);

  switch (exit.reason) {
    case ExitReason::ept_violation: {
      // The hypervisor fetches and decodes the faulting instruction to learn
      // the access (ACRN's instr_emul), then looks the GPA up.
      charge_hv(timing_.mmio_decode_ps);
      if (const MmioRegistry::Range* r = vm->mmio.find(addr, size)) {
        charge_hv(timing_.hv_mmio_handler_ps);
        if (write)
          r->handler->mmio_write(r->tag, addr - r->base, size, value);
        else
          value = r->handler->mmio_read(r->tag, addr - r->base, size);
      } else {
        // No device claims it: reads see all-ones, writes vanish.
        ++vm->unhandled_mmio;
        if (!write) value = ~u64{0};
        spdlog::debug("VM{}: unhandled MMIO {} at GPA {:#x}", vm->id, write ? "write" : "read", addr);
      }
      break;
    }
    case ExitReason::io_instruction: {
      charge_hv(timing_.hv_pio_handler_ps);
      const u16 port = static_cast<u16>(addr);
      if (VPci::claims_port(port, size)) {
        if (write)
          vm->vpci.pio_write(port, size, static_cast<u32>(value));
        else
          value = vm->vpci.pio_read(port, size);
      } else {
        ++vm->unhandled_pio;
        if (!write) value = ~u64{0};
      }
      break;
    }
    case ExitReason::vmcall:
    case ExitReason::hlt:
    case ExitReason::count:
      break;
  }
  if (!write) std::memcpy(data, &value, size);
  cost_ = nullptr;
  exit_ = nullptr;
}

ept::EditResult Hypervisor::ept_add_mr(Vm& vm, Hpa hpa, Gpa gpa, u64 size, u64 prot) {
  const ept::EditResult r = vm.ept->add_mr(hpa, gpa, size, prot);
  if (r.already_present)
    spdlog::debug("VM{}: ept_add_mr at GPA {:#x}: {} entries already present, left in place", vm.id, gpa,
                  r.already_present);
  charge_hv(timing_.ept_edit_ps * (r.pages_4k_mapped + r.pages_2m_mapped + r.pages_1g_mapped));
  invept(vm);
  return r;
}

ept::EditResult Hypervisor::ept_del_mr(Vm& vm, Gpa gpa, u64 size) {
  const ept::EditResult r = vm.ept->del_mr(gpa, size);
  charge_hv(timing_.ept_edit_ps * r.leaves_changed);
  invept(vm);
  return r;
}

void Hypervisor::invept(Vm& vm) {
  ++vm.invept_count;
  if (invept_hook_) invept_hook_(vm);
}

unsigned Hypervisor::inject_msi(Vm& target, u64 addr, u32 data) {
  constexpr u64 kMsiAddressBase = 0xFEE;  // bits 31:20 of every MSI address on x86
  constexpr u8 kBroadcast = 0xFF;
  if (((addr >> 20) & 0xFFF) != kMsiAddressBase) {
    ++target.msi_undeliverable;
    return 0;
  }
  const u8 dest = static_cast<u8>((addr >> 12) & 0xFF);
  const bool logical = (addr & 0x4) != 0;
  const u8 vector = static_cast<u8>(data & 0xFF);
  // Sent now: at the point of the sender's exit the handler has reached.
  const TimePs at = exit_ ? exit_->start_ps + exit_->cost.total() : 0;
  Breakdown blame;
  if (exit_) {
    blame = exit_->segment;
    blame += exit_->cost;
  }
  unsigned reached = 0;
  for (unsigned i = 0; i < target.vcpu_count; ++i) {
    // A vCPU's APIC id is its index in the VM.
    const bool hit = logical ? (i < 8 && (dest & (1u << i))) : (dest == kBroadcast || dest == i);
    if (!hit) continue;
    ++reached;
    ++target.interrupts_received;
    if (interrupt_hook_) interrupt_hook_(target, i, vector, at, blame);
  }
  if (!reached) ++target.msi_undeliverable;
  return reached;
}

}  // namespace ivsim
