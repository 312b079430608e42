#include "models/dm/hsm_module.h"

#include "models/hv/vm.h"

namespace ivsim {

using sc_core::sc_time;

void Hsm::attach(DeviceModel& dm) { device_models_[dm.vm().id] = &dm; }

void Hsm::set_upcall_vcpu(Vcpu& v) {
  upcall_ = &v;
  v.on_interrupt(kNotificationVector, [this](Vcpu& cpu) { serve(cpu); });
  v.set_idle_loop(true);
}

void Hsm::submit(IoRequest& req, Vcpu* requester) {
  auto dm = device_models_.find(req.vm);
  if (dm == device_models_.end() || !upcall_) {
    // A post-launched VM no acrn-dm serves: nothing answers the request.
    if (!req.write) req.value = ~u64{0};
    return;
  }
  Pending p{&req, dm->second, {}};
  pending_.push_back(&p);
  // The request is pending in the ioreq page from now on; the upcall
  // reaches the Service VM's vCPU 0 after ioreq_notify.
  const TimePs now = sc_core::sc_time_stamp().value();
  Breakdown upcall;
  upcall.add(Component::dm, timing_.ioreq_notify_ps);
  upcall_->post_interrupt(kNotificationVector, now + timing_.ioreq_notify_ps, upcall);
  for (;;) {
    if (p.complete) return;
    if (requester && requester->zombie() && !p.in_service) {
      // vm_clear_ioreq: a paused VM's request is dropped, never completed.
      for (auto it = pending_.begin(); it != pending_.end(); ++it)
        if (*it == &p) {
          pending_.erase(it);
          break;
        }
      return;
    }
    if (requester)
      sc_core::wait(p.done | requester->zombie_event());
    else
      sc_core::wait(p.done);
  }
}

ServiceVmPort Hsm::service_vm_port(Vcpu& cpu) {
  // acrn-dm at run time: its stores and its hypercalls are the Service VM
  // vCPU's own, timed (its RAM is identity-mapped when it pages).
  return ServiceVmPort{[&cpu](Gpa gpa, const void* src, u64 len) { cpu.write_block(gpa, src, len); },
                       [&cpu](u64 id, u64 p1, u64 p2) { return cpu.hypercall(id, p1, p2); }};
}

void Hsm::serve(Vcpu& cpu) {
  // The HSM's dispatcher takes every pending request, whichever VM's, in
  // the order they were posted (it scans the ioreq slots, so a request
  // posted while it works is served in the same pass).
  while (!pending_.empty()) {
    Pending* p = pending_.front();
    pending_.pop_front();
    p->in_service = true;
    IoRequest* req = p->req;
    const TimePs start = cpu.now_ps();
    cpu.busy(Component::dm, timing_.dm_dispatch_ps);  // HSM wakes acrn-dm's ioreq client thread
    // The emulation changes state other vCPUs see (BARs, EPT mappings): at
    // its own simulated time.
    cpu.synchronize();
    const VmId vm = req->vm;
    const bool complete = p->dm->handle(*req, service_vm_port(cpu));
    ++served_;
    if (!complete) {
      // acrn-dm postpones the completion of a request that reset the VM
      // (vm_system_reset cleared it): the requester, a zombie by now, unwinds.
      p->in_service = false;
      p->done.notify(sc_core::SC_ZERO_TIME);
      continue;
    }
    cpu.busy(Component::dm, timing_.dm_handler_ps);
    cpu.synchronize();
    if (trace::Sink* t = trace::sink()) t->dm_request(vm, cpu.trace_cpu(), start, cpu.now_ps());
    // Completion hypercall; the hypervisor resumes the waiting vCPU.
    p->complete = true;
    p->done.notify(sc_time::from_value(timing_.ioreq_complete_ps));
  }
}

}  // namespace ivsim
