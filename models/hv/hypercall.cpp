// VMCALL as ACRN's hypervisor handles it (hypervisor/arch/x86/guest/vmcall.c,
// hypervisor/common/hypercall.c): who may call, which VM a call targets,
// and the handlers of the hypercalls a Service VM's acrn-dm uses to launch,
// reset and serve a post-launched VM with IVSHMEM devices.
#include <algorithm>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "models/hv/hypercall_abi.h"
#include "models/hv/hypervisor.h"
#include "models/hv/ivshmem_device.h"

namespace ivsim {

namespace {

// The IVSHMEM device's IDs as find_emul_dev_ops matches acrn_vdev.id.
constexpr u32 kIvshmemVdevId = 0x1AF4u | (0x1110u << 16);
constexpr u64 kNrMaxVector = 0xFF, kVectorDynamicStart = 0x20;  // asm/irq.h

}  // namespace

Hpa Hypervisor::gpa2hpa(const Vm& vm, Gpa gpa) const {
  const ept::WalkResult w = vm.ept->walk(gpa);
  return w.present ? w.hpa : kInvalidHpa;
}

bool Hypervisor::copy_from_gpa(const Vm& vm, Gpa gpa, void* dst, u64 len) const {
  // copy_gpa: page by page through the VM's EPT; an unmapped page fails the copy.
  auto* out = static_cast<u8*>(dst);
  while (len) {
    const Hpa hpa = gpa2hpa(vm, gpa);
    if (hpa == kInvalidHpa) return false;
    const u64 n = std::min(len, kPageSize4K - (gpa & (kPageSize4K - 1)));
    mem_.read(hpa, out, n);
    out += n;
    gpa += n;
    len -= n;
  }
  return true;
}

bool Hypervisor::copy_to_gpa(Vm& vm, Gpa gpa, const void* src, u64 len) {
  const auto* in = static_cast<const u8*>(src);
  while (len) {
    const Hpa hpa = gpa2hpa(vm, gpa);
    if (hpa == kInvalidHpa) return false;
    const u64 n = std::min(len, kPageSize4K - (gpa & (kPageSize4K - 1)));
    mem_.write(hpa, in, n);
    in += n;
    gpa += n;
    len -= n;
  }
  return true;
}

bool Hypervisor::ept_is_valid_mr(const Vm& vm, Gpa base, u64 size) const {
  // Every page of the range translates (local_gpa2hpa, leaf by leaf).
  for (Gpa a = base; a < base + size;) {
    const ept::WalkResult w = vm.ept->walk(a);
    if (!w.present) return false;
    const u64 leaf = u64{1} << w.page_shift;
    a = (a & ~(leaf - 1)) + leaf;
  }
  return true;
}

bool Hypervisor::is_severity_pass(const Vm* target) const {
  // SEVERITY_SERVICE_VM >= get_vm_severity(target): the Service VM may not
  // manage a running RTVM or safety VM.
  return !target || kSeverityServiceVm >= target->severity;
}

i64 Hypervisor::vmcall(Vm& vm, unsigned vcpu, u64 id, u64 param1, u64 param2, VmExitExtension* exit) {
  // vmcall_vmexit_handler: only the Service VM (and VMs with TEE/secure-world
  // flags, which the twin does not configure) may execute VMCALL; the
  // others get #UD and RAX is left alone.
  // A call that fails, the refused one (-ENODEV) included, is logged
  // (pr_err), which a debug build writes to its serial console.
  const auto log_failure = [&](i64 ret) {
    hv_log(LogSeverity::error, fmt::format("ret={} hypercall=0x{:x} failed in vmcall_vmexit_handler\n", ret, id));
  };
  if (vm.load_order != VmLoadOrder::service_vm) {
    if (exit) exit->inject(kVectorUd, "#UD: VMCALL from a VM without hypercall rights (vmcall_vmexit_handler)");
    log_failure(-hc::kEnodev);
    return 0;
  }
  ++vm.hypercalls;
  const i64 ret = dispatch_hypercall(vm, vcpu, id, param1, param2);
  if (ret < 0) {
    ++vm.hypercalls_failed;
    // Not for a call ACRN handles that the twin does not model (its -ENOTTY
    // stands for an outcome the twin does not know).
    if (hypercall_handler(id) || !acrn_has_hypercall(id)) log_failure(ret);
  }
  return ret;
}

bool Hypervisor::acrn_has_hypercall(u64 id) {
  // hc_dispatch_table (vmcall.c): the indices with a handler. General, VM,
  // IRQ, I/O request, memory, PCI, debug, Trusty, PM and TEE calls.
  static constexpr u8 kIndices[] = {0x00, 0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x23, 0x24, 0x25, 0x30,
                                    0x31, 0x32, 0x33, 0x41, 0x42, 0x43, 0x44, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
                                    0x5A, 0x5B, 0x5C, 0x61, 0x62, 0x63, 0x70, 0x71, 0x72, 0x80, 0x90, 0x91};
  return std::find(std::begin(kIndices), std::end(kIndices), id & 0xFF) != std::end(kIndices);
}

Hypervisor::HypercallHandler Hypervisor::hypercall_handler(u64 id) {
  switch (id & 0xFF) {
    case hc::hc_idx(hc::kGetApiVersion):
      return &Hypervisor::hcall_get_api_version;
    case hc::hc_idx(hc::kSetCallbackVector):
      return &Hypervisor::hcall_set_callback_vector;
    case hc::hc_idx(hc::kStartVm):
      return &Hypervisor::hcall_start_vm;
    case hc::hc_idx(hc::kPauseVm):
      return &Hypervisor::hcall_pause_vm;
    case hc::hc_idx(hc::kResetVm):
      return &Hypervisor::hcall_reset_vm;
    case hc::hc_idx(hc::kSetIoreqBuffer):
      return &Hypervisor::hcall_set_ioreq_buffer;
    case hc::hc_idx(hc::kNotifyRequestFinish):
      return &Hypervisor::hcall_notify_ioreq_finish;
    case hc::hc_idx(hc::kVmSetMemoryRegions):
      return &Hypervisor::hcall_set_vm_memory_regions;
    case hc::hc_idx(hc::kAddVdev):
      return &Hypervisor::hcall_add_vdev;
    case hc::hc_idx(hc::kRemoveVdev):
      return &Hypervisor::hcall_remove_vdev;
    default:
      return nullptr;  // none in ACRN's table, or one the twin does not model
  }
}

i64 Hypervisor::dispatch_hypercall(Vm& service_vm, unsigned vcpu, u64 id, u64 param1, u64 param2) {
  // Handlers are looked up by the ID's low byte; an index without a
  // handler (or one the twin does not model) is -ENOTTY, as is a target
  // that is pre-launched (a permission_flags 0 hypercall manages post-launched VMs).
  const HypercallHandler h = hypercall_handler(id);
  if (!h) return -hc::kEnotty;
  // parse_target_vm: by the full ID, as ACRN switches on it.
  Vm* target = nullptr;
  bool have_id = true;
  u32 target_id = 0;
  switch (id) {
    case hc::kGetApiVersion:
    case hc::kSetCallbackVector:
      target = &service_vm;
      have_id = false;
      break;
    case hc::kVmSetMemoryRegions: {
      hc::SetRegions regions;
      if (!copy_from_gpa(service_vm, param1, &regions, sizeof regions)) return -hc::kEnotty;
      target_id = static_cast<u16>(service_vm.id + regions.vmid);  // rel_vmid_2_vmid, a uint16_t
      break;
    }
    default:
      target_id = static_cast<u16>(service_vm.id + static_cast<u16>(param1));
      break;
  }
  // get_vm_from_vmid gives the slot of any id below CONFIG_MAX_VM_NUM; an
  // unused slot is a powered-off VM (target null here).
  if (have_id) {
    if (target_id >= max_vm_num_) return -hc::kEnotty;
    target = vm(static_cast<VmId>(target_id));
  }
  if (target && target->load_order == VmLoadOrder::pre_launched) return -hc::kEnotty;
  return (this->*h)(service_vm, vcpu, target, param1, param2);
}

VmState Hypervisor::state_of(const Vm* vm) { return vm ? vm->state : VmState::powered_off; }

i64 Hypervisor::hcall_get_api_version(Vm& service_vm, unsigned, Vm*, u64 param1, u64) {
  const hc::ApiVersion v;
  return copy_to_gpa(service_vm, param1, &v, sizeof v) ? 0 : -hc::kEinval;
}

i64 Hypervisor::hcall_set_callback_vector(Vm&, unsigned, Vm*, u64 param1, u64) {
  if (param1 > kNrMaxVector || param1 < kVectorDynamicStart) {
    hv_log(LogSeverity::error, "hcall_set_callback_vector: Invalid passed vector\n");
    return -hc::kEinval;
  }
  hsm_vector_ = static_cast<u8>(param1);  // set_hsm_notification_vector
  return 0;
}

i64 Hypervisor::hcall_start_vm(Vm&, unsigned, Vm* target, u64, u64) {
  if (state_of(target) != VmState::created || !target->io_shared_page_hpa) return -1;
  target->state = VmState::running;  // start_vm: the BSP is launched
  Breakdown blame;
  launch_vm(*target, exit_now(blame));
  if (lifecycle_.start) lifecycle_.start(*target);
  return 0;
}

i64 Hypervisor::hcall_pause_vm(Vm&, unsigned, Vm* target, u64, u64) {
  if (state_of(target) == VmState::powered_off) return -1;
  pause_vm(*target);
  return 0;
}

void Hypervisor::pause_vm(Vm& vm) {
  // pause_vm: a running VM is paused only when the Service VM may manage
  // it (is_severity_pass); a created one always; its vCPUs become zombies.
  const bool pausable = (vm.state == VmState::running && is_severity_pass(&vm)) ||
                        vm.state == VmState::ready_to_poweroff || vm.state == VmState::created;
  if (!pausable) return;
  vm.state = VmState::paused;
  if (lifecycle_.pause) lifecycle_.pause(vm);
}

i64 Hypervisor::hcall_reset_vm(Vm&, unsigned, Vm* target, u64, u64) {
  if (state_of(target) != VmState::paused) return -1;
  // reset_vm(COLD_RESET): vCPUs to their power-on state, every ioreq slot
  // FREE, the VM CREATED again (its devices are acrn-dm's to re-add).
  if (target->io_shared_page_hpa)
    for (unsigned i = 0; i < hc::kIoRequestSlots; ++i) set_io_req_state(*target, i, hc::kIoreqStateFree);
  target->state = VmState::created;
  target->lock_instr_emulation_by.reset();  // a vCPU paused while it stepped a lock holds it no more
  target->wbinvd_by.reset();                // nor one paused while it flushed for a WBINVD
  target->wait_for_sipi.clear();            // reset_vcpu(POWER_ON_RESET) of each: nr_sipi 0
  ++target->resets;
  if (lifecycle_.reset) lifecycle_.reset(*target);
  return 0;
}

i64 Hypervisor::hcall_set_ioreq_buffer(Vm& service_vm, unsigned, Vm* target, u64, u64 param2) {
  if (state_of(target) != VmState::created) return -1;
  u64 iobuf = 0;
  if (!copy_from_gpa(service_vm, param2, &iobuf, sizeof iobuf)) return -1;
  const Hpa hpa = gpa2hpa(service_vm, iobuf);
  if (hpa == kInvalidHpa) {
    // The VM named is the caller's, the Service VM.
    hv_log(LogSeverity::error,
           fmt::format("hcall_set_ioreq_buffer,vm[{}] gpa 0x{:x},GPA is unmapping.", service_vm.id, iobuf));
    target->io_shared_page_hpa = 0;
    return -1;
  }
  target->io_shared_page_hpa = hpa;
  for (unsigned i = 0; i < hc::kIoRequestSlots; ++i) set_io_req_state(*target, i, hc::kIoreqStateFree);
  return 0;
}

i64 Hypervisor::hcall_notify_ioreq_finish(Vm&, unsigned, Vm* target, u64, u64 param2) {
  const u16 vcpu = static_cast<u16>(param2);
  if (!is_severity_pass(target) || state_of(target) == VmState::powered_off || !target->io_shared_page_hpa) return -1;
  if (vcpu >= target->vcpu_count) {
    hv_log(LogSeverity::error,
           fmt::format("hcall_notify_ioreq_finish, failed to get VCPU {} context from VM {}\n", vcpu, target->id));
    return -1;
  }
  // signal_event(VCPU_EVENT_IOREQ), unless the VM polls for completion.
  if (!target->is_polling_ioreq && lifecycle_.ioreq_finished) {
    Breakdown blame;
    lifecycle_.ioreq_finished(*target, vcpu, exit_now(blame));
  }
  return 0;
}

i64 Hypervisor::hcall_set_vm_memory_regions(Vm& service_vm, unsigned, Vm* target, u64 param1, u64) {
  hc::SetRegions regions;
  if (!copy_from_gpa(service_vm, param1, &regions, sizeof regions)) return -1;
  const VmState st = state_of(target);
  if (st == VmState::powered_off || !(is_severity_pass(target) || st != VmState::running)) return -1;
  i64 ret = -1;
  for (u32 i = 0; i < regions.mr_num; ++i) {
    hc::VmMemoryRegion mr;
    if (!copy_from_gpa(service_vm, regions.regions_gpa + i * sizeof mr, &mr, sizeof mr)) {
      hv_log(LogSeverity::error, "hcall_set_vm_memory_regions: Copy mr entry fail from vm\n");
      break;
    }
    ret = set_vm_memory_region(service_vm, *target, mr);
    if (ret < 0) break;
  }
  return ret;
}

i64 Hypervisor::set_vm_memory_region(Vm& service_vm, Vm& target, const hc::VmMemoryRegion& mr) {
  if (mr.size & (kPageSize4K - 1)) return -hc::kEinval;
  if (mr.type == hc::kMrAdd) {
    // The backing must be Service VM memory (ept_is_valid_mr on the Service
    // VM's EPT); its HPA is what the Service VM's EPT says (gpa2hpa).
    if (!ept_is_valid_mr(service_vm, mr.service_vm_gpa, mr.size)) {
      record_isolation(target.id, fmt::format("Service VM GPA {:#x}", mr.service_vm_gpa),
                       "set_memory_region_refused: not Service VM memory");
      return -hc::kEinval;
    }
    // add_vm_memory_region: access rights and memory type from prot.
    u64 prot = 0;
    if (mr.prot & hc::kMemAccessRead) prot |= ept::kRead;
    if (mr.prot & hc::kMemAccessWrite) prot |= ept::kWrite;
    if (mr.prot & hc::kMemAccessExec) prot |= ept::kExec;
    prot |= (mr.prot & hc::kMemTypeWb)   ? ept::kWB
            : (mr.prot & hc::kMemTypeWt) ? ept::mem_type_bits(ept::MemType::WT)
            : (mr.prot & hc::kMemTypeWc) ? ept::mem_type_bits(ept::MemType::WC)
            : (mr.prot & hc::kMemTypeWp) ? ept::mem_type_bits(ept::MemType::WP)
                                         : ept::kUC;
    ept_add_mr(target, gpa2hpa(service_vm, mr.service_vm_gpa), mr.gpa, mr.size, prot);
    return 0;
  }
  if (!ept_is_valid_mr(target, mr.gpa, mr.size)) return -hc::kEinval;
  ept_del_mr(target, mr.gpa, mr.size);
  return 0;
}

i64 Hypervisor::hcall_add_vdev(Vm& service_vm, unsigned, Vm* target, u64, u64 param2) {
  // Only at creation time, for safety (not at run time).
  hc::AcrnVdev dev;
  if (state_of(target) != VmState::created) {
    // (The name is read for the record only.)
    const std::string what = copy_from_gpa(service_vm, param2, &dev, sizeof dev) ? dev.name() : "HC_ADD_VDEV";
    record_isolation(target ? target->id : 0, what, "hc_add_vdev_refused: target VM is not in CREATED state");
    if (target)
      hv_log(LogSeverity::error,
             fmt::format("hcall_add_vdev, vm[{}] is not a postlaunched VM, or not in CREATED status to create a vdev\n",
                         target->id));
    return -hc::kEinval;
  }
  if (!copy_from_gpa(service_vm, param2, &dev, sizeof dev)) return -hc::kEinval;
  if (dev.id != kIvshmemVdevId) return -hc::kEinval;  // find_emul_dev_ops: no such emulated device
  std::string why;
  return create_ivshmem_vdev(*target, dev, &why);
}

i64 Hypervisor::create_ivshmem_vdev(Vm& target, const hc::AcrnVdev& dev, std::string* why) {
  const std::string name = dev.name();
  auto refuse = [&](const std::string& reason) {
    if (why) *why = reason;
    record_isolation(target.id, name, "hc_add_vdev_refused: " + reason);
    // create_ivshmem_vdev's pr_warn, the slot's bus, device and function in hex.
    hv_log(LogSeverity::warning, fmt::format("create_ivshmem_vdev, failed to create ivshmem device {:x}:{:x}.{:x}\n",
                                             dev.slot >> 8, (dev.slot >> 3) & 0x1F, dev.slot & 0x7));
    return -hc::kEinval;
  };
  // create_ivshmem_vdev: the VM's static configuration must name this
  // region, and the region's size must be the one asked for.
  const StaticIvshmem* cfg = nullptr;
  for (const auto& s : target.static_ivshmem)
    if (s.name == name) cfg = &s;
  if (!cfg) return refuse("no " + name + " in the VM's static configuration");
  IvshmemRegion* region = pool_ ? pool_->find(name) : nullptr;
  if (!region) return refuse("no hv-land region " + name);
  if (region->size != dev.io_size[2])
    return refuse("size " + std::to_string(dev.io_size[2]) + " does not match the region's " +
                  std::to_string(region->size));
  const u64 bar2 = (dev.io_addr[2] & 0xFFFF'FFFFu) | (dev.io_addr[3] << 32);
  create_ivshmem_device(target, name, pci::Bdf::from_value(static_cast<u16>(dev.slot)),
                        static_cast<u32>(dev.io_addr[0]), static_cast<u32>(dev.io_addr[1]), bar2);
  return 0;
}

i64 Hypervisor::hcall_remove_vdev(Vm& service_vm, unsigned, Vm* target, u64, u64 param2) {
  const VmState st = state_of(target);
  if (st != VmState::created && st != VmState::paused) {
    if (target)
      hv_log(LogSeverity::error, fmt::format("hcall_remove_vdev, vm[{}] is not a postlaunched VM, or not in "
                                             "CREATED/PAUSED status to destroy a vdev\n",
                                             target->id));
    return -hc::kEinval;
  }
  hc::AcrnVdev dev;
  if (!copy_from_gpa(service_vm, param2, &dev, sizeof dev)) return -hc::kEinval;
  if (dev.id != kIvshmemVdevId) return -hc::kEinval;
  // pci_find_vdev by the slot's BDF, then destroy_ivshmem_vdev.
  const pci::Bdf bdf = pci::Bdf::from_value(static_cast<u16>(dev.slot));
  for (auto& d : ivshmem_devices_)
    if (&d->vm() == target && d->bdf() == bdf) {
      destroy_ivshmem_vdev(*d);
      return 0;
    }
  hv_log(LogSeverity::warning, fmt::format("hcall_remove_vdev, failed to destroy emulated device {:x}:{:x}.{:x}\n",
                                           unsigned{bdf.bus}, unsigned{bdf.dev}, unsigned{bdf.fn}));
  return -hc::kEinval;
}

void Hypervisor::set_io_req_state(Vm& vm, unsigned slot, u32 state) {
  mem_.write(vm.io_shared_page_hpa + slot * hc::kIoRequestSlotBytes + offsetof(hc::IoRequestSlot, processed), &state,
             sizeof state);
}

}  // namespace ivsim
