#include "models/dm/hsm_module.h"

#include <cstddef>

#include "models/core/pending_activity.h"
#include "models/hv/hypercall_abi.h"
#include "models/hv/hypervisor.h"
#include "models/hv/vm.h"

namespace ivsim {

using sc_core::sc_time;

namespace {

constexpr u64 kType = offsetof(hc::IoRequestSlot, type);
constexpr u64 kPolling = offsetof(hc::IoRequestSlot, completion_polling);
constexpr u64 kDirection = offsetof(hc::IoRequestSlot, direction);
constexpr u64 kAddress = offsetof(hc::IoRequestSlot, address);
constexpr u64 kSize = offsetof(hc::IoRequestSlot, size);
constexpr u64 kValue = offsetof(hc::IoRequestSlot, value);
constexpr u64 kState = offsetof(hc::IoRequestSlot, processed);

u32 slot_type(IoRequest::Type t) {
  switch (t) {
    case IoRequest::Type::mmio:
      return hc::kIoreqTypeMmio;
    case IoRequest::Type::port_io:
      return hc::kIoreqTypePio;
    case IoRequest::Type::pci_config:
      return hc::kIoreqTypePci;
  }
  return hc::kIoreqTypeMmio;
}

}  // namespace

void Hsm::attach(DeviceModel& dm) { device_models_[dm.vm().id] = &dm; }

void Hsm::set_upcall_vcpu(Vcpu& v) {
  upcall_ = &v;
  v.on_interrupt(kNotificationVector, [this](Vcpu& cpu) { serve(cpu); });
  v.set_idle_loop(true);
}

Hpa Hsm::slot_hpa(VmId vm, unsigned vcpu) const {
  return hv_.vm(vm)->io_shared_page_hpa + vcpu * hc::kIoRequestSlotBytes;
}

Gpa Hsm::slot_gpa(const DeviceModel& dm, unsigned vcpu) const {
  // The page acrn-dm registered with HC_SET_IOREQ_BUFFER, in its (1:1) Service VM memory.
  return dm.buffer_gpa() + DeviceModel::kIoreqPageOffset + vcpu * hc::kIoRequestSlotBytes;
}

void Hsm::submit(IoRequest& req, Vcpu* requester) {
  auto dm = device_models_.find(req.vm);
  const Vm* vm = hv_.vm(req.vm);
  if (dm == device_models_.end() || !upcall_ || !vm || !vm->io_shared_page_hpa) {
    // A post-launched VM no acrn-dm serves: nothing answers the request.
    if (!req.write) req.value = ~u64{0};
    return;
  }
  // acrn_insert_request: the requester's slot, its state written last.
  HostMemory& mem = hv_.host_memory();
  const Hpa s = slot_hpa(req.vm, req.vcpu);
  const u32 type = slot_type(req.type), polling = vm->is_polling_ioreq ? 1 : 0, pending = hc::kIoreqStatePending;
  const u64 direction = req.write ? 1 : 0, size = req.size;
  const u64 address = req.type == IoRequest::Type::pci_config ? (u64{req.bdf.value()} << 12) | req.reg : req.addr;
  mem.write(s + kType, &type, sizeof type);
  mem.write(s + kPolling, &polling, sizeof polling);
  mem.write(s + kDirection, &direction, sizeof direction);
  mem.write(s + kAddress, &address, sizeof address);
  mem.write(s + kSize, &size, sizeof size);
  mem.write(s + kValue, &req.value, sizeof req.value);
  mem.write(s + kState, &pending, sizeof pending);
  Waiter w;
  w.dm = dm->second;
  const auto key = std::make_pair(req.vm, req.vcpu);
  waiting_[key] = &w;
  // The upcall reaches the Service VM's vCPU 0 after ioreq_notify, at the
  // vector the HSM registered (HC_SET_CALLBACK_VECTOR).
  const TimePs now = sc_core::sc_time_stamp().value();
  Breakdown upcall;
  upcall.add(Component::dm, timing_.ioreq_notify_ps);
  upcall_->post_interrupt(hv_.hsm_notification_vector(), now + timing_.ioreq_notify_ps, upcall);
  for (;;) {
    if (w.complete) break;
    // vm_clear_ioreq / reset_vm: a paused VM's request is dropped, never completed.
    if (requester && requester->zombie() && !w.in_service) break;
    if (!requester) {
      sc_core::wait(w.done);
    } else if (!polling) {
      sc_core::wait(w.done | requester->zombie_event());
    } else if (!requester->io_poll_reschedule()) {
      // Spinning on its slot (asm_pause), it checks need_reschedule() each turn.
      const TimePs until = requester->io_poll_deadline_ps(), at = sc_core::sc_time_stamp().value();
      if (until == PcpuScheduler::kForever)
        sc_core::wait(w.done | requester->zombie_event() | requester->sched_event());
      else
        sc_core::wait(sc_core::sc_time::from_value(until > at ? until - at : 0),
                      w.done | requester->zombie_event() | requester->sched_event());
    }
  }
  waiting_.erase(key);
  if (!w.complete) return;
  req.completed_by = w.finished_by;
  // complete_ioreq: the value, and the slot FREE again.
  if (!req.write) mem.read(s + kValue, &req.value, sizeof req.value);
  const u32 free_state = hc::kIoreqStateFree;
  mem.write(s + kState, &free_state, sizeof free_state);
}

void Hsm::ioreq_finished(VmId vm, unsigned vcpu, TimePs at) {
  auto it = waiting_.find({vm, vcpu});
  if (it == waiting_.end()) return;
  Waiter& w = *it->second;
  w.complete = true;
  w.finished_by = sc_core::sc_get_current_process_b();
  // The woken vCPU resumes (signal_event, VM entry) after ioreq_complete.
  const TimePs kernel = sc_core::sc_time_stamp().value();
  const TimePs when = at + timing_.ioreq_complete_ps;
  pending_activity::notify(w.done, sc_time::from_value(when > kernel ? when - kernel : 0));
}

ServiceVmPort Hsm::service_vm_port(Vcpu& cpu) {
  // acrn-dm at run time: its stores and its hypercalls are the Service VM
  // vCPU's own, timed (its RAM is identity-mapped when it pages).
  return ServiceVmPort{[&cpu](Gpa gpa, const void* src, u64 len) { cpu.write_block(gpa, src, len); },
                       [&cpu](u64 id, u64 p1, u64 p2) { return cpu.hypercall(id, p1, p2); }};
}

void Hsm::serve(Vcpu& cpu) {
  // ioreq_dispatcher: every attached VM's page, slot by slot, until no
  // slot is PENDING (a request posted while it works is served in the same pass).
  for (bool again = true; again;) {
    again = false;
    scan_.clear();
    for (const auto& entry : waiting_) scan_.push_back(entry.first);
    for (const auto& key : scan_) {
      auto it = waiting_.find(key);
      if (it == waiting_.end() || it->second->in_service || it->second->complete) continue;
      Waiter* w = it->second;
      const u32 state = cpu.load<u32>(slot_gpa(*w->dm, key.second) + kState);
      // The load may have synchronised: a paused VM's request is gone by
      // now (vm_clear_ioreq), or another has taken its place.
      it = waiting_.find(key);
      if (it == waiting_.end() || it->second != w || state != hc::kIoreqStatePending) continue;
      dispatch(cpu, key.first, key.second, *w);
      again = true;
      break;  // waiting_ may have changed while acrn-dm worked
    }
  }
}

void Hsm::dispatch(Vcpu& cpu, VmId vm, unsigned vcpu, Waiter& w) {
  const Gpa s = slot_gpa(*w.dm, vcpu);
  w.in_service = true;
  cpu.store<u32>(s + kState, hc::kIoreqStateProcessing);
  const TimePs start = cpu.now_ps();
  if (handle_cf8cfc(cpu, vm, s)) {
    ++served_;
    finish(cpu, vm, vcpu, w, start);
    return;
  }
  cpu.busy(Component::dm, timing_.dm_dispatch_ps);  // HSM wakes acrn-dm's ioreq client thread
  // acrn-dm reads the request from the slot.
  IoRequest req;
  req.vm = vm;
  req.vcpu = vcpu;
  const u32 type = cpu.load<u32>(s + kType);
  req.type = type == hc::kIoreqTypePio   ? IoRequest::Type::port_io
             : type == hc::kIoreqTypePci ? IoRequest::Type::pci_config
                                         : IoRequest::Type::mmio;
  req.write = cpu.load<u64>(s + kDirection) != 0;
  req.addr = cpu.load<u64>(s + kAddress);
  req.size = static_cast<unsigned>(cpu.load<u64>(s + kSize));
  req.value = cpu.load<u64>(s + kValue);
  if (req.type == IoRequest::Type::pci_config) {
    req.bdf = pci::Bdf::from_value(static_cast<u16>(req.addr >> 12));
    req.reg = static_cast<u32>(req.addr & 0xFFF);
  }
  // The emulation changes state other vCPUs see (BARs, EPT mappings): at
  // its own simulated time.
  cpu.synchronize();
  const bool complete = w.dm->handle(req, service_vm_port(cpu));
  ++served_;
  if (!complete) {
    // acrn-dm postpones the completion of a request that reset the VM
    // (vm_system_reset cleared it): the requester, a zombie by now, unwinds.
    w.in_service = false;
    pending_activity::notify(w.done, sc_core::SC_ZERO_TIME);
    return;
  }
  cpu.busy(Component::dm, timing_.dm_handler_ps);
  if (!req.write) cpu.store<u64>(s + kValue, req.value);
  finish(cpu, vm, vcpu, w, start);
}

bool Hsm::handle_cf8cfc(Vcpu& cpu, VmId vm, Gpa s) {
  // In the HSM before any client is chosen (acrn_ioreq_dispatch). A PIO
  // request to 0xCF8 sets or reads the HSM's own latch, vm->pci_conf_addr,
  // which keeps the guest's value as written (the hypervisor's latch drops
  // bits 30:24), and completes in the kernel: acrn-dm never sees it.
  if (cpu.load<u32>(s + kType) != hc::kIoreqTypePio) return false;
  const u64 port = cpu.load<u64>(s + kAddress);
  if (port != VPci::kConfigAddress && !(port >= VPci::kConfigData && port < VPci::kConfigData + 4u)) return false;
  u32& latch = pci_conf_addr_[vm];
  const bool write = cpu.load<u64>(s + kDirection) != 0;
  if (port == VPci::kConfigAddress) {
    ++config_address_writes_;
    if (write)
      latch = static_cast<u32>(cpu.load<u64>(s + kValue));
    else
      cpu.store<u64>(s + kValue, latch);
    return true;
  }
  // A data-port access with the latch disabled completes here too (a read
  // all-ones); otherwise the request becomes a config request of the
  // latched function, its register the low byte's dword (PCI_LOWREG_MASK)
  // plus bits 27:24 as the extended register's high nibble
  // (PCI_HIGHREG_MASK), and goes on to acrn-dm.
  if (!(latch & VPci::kConfigEnable)) {
    if (!write) cpu.store<u64>(s + kValue, u64{0xFFFF'FFFFu});
    return true;
  }
  const u32 reg = (latch & 0xFCu) + ((latch >> 16) & 0xF00u) + static_cast<u32>(port - VPci::kConfigData);
  const u64 bdf = (latch >> 8) & 0xFFFFu;
  cpu.store<u32>(s + kType, hc::kIoreqTypePci);
  cpu.store<u64>(s + kAddress, (bdf << 12) | reg);
  return false;
}

void Hsm::finish(Vcpu& cpu, VmId vm, unsigned vcpu, Waiter& w, TimePs start) {
  const Gpa s = slot_gpa(*w.dm, vcpu);
  cpu.store<u32>(s + kState, hc::kIoreqStateComplete);
  if (trace::Sink* t = trace::sink()) t->dm_request(vm, cpu.trace_cpu(), start, cpu.now_ps());
  // acrn_ioreq_complete_request: the hypercall unless the VM polls.
  if (cpu.load<u32>(s + kPolling)) {
    cpu.synchronize();  // the poller sees COMPLETE from now
    w.complete = true;
    pending_activity::notify(w.done, sc_core::SC_ZERO_TIME);
    return;
  }
  const Vm& service_vm = *hv_.vm(cpu.config().vm);
  cpu.hypercall(hc::kNotifyRequestFinish, static_cast<u16>(vm - service_vm.id), vcpu);
}

}  // namespace ivsim
