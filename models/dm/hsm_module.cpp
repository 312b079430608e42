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

void Hsm::submit(IoRequest& req) {
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
  while (!p.complete) sc_core::wait(p.done);
}

void Hsm::serve(Vcpu& cpu) {
  // The HSM's dispatcher takes every pending request, whichever VM's, in
  // the order they were posted (it scans the ioreq slots, so a request
  // posted while it works is served in the same pass).
  while (!pending_.empty()) {
    Pending* p = pending_.front();
    pending_.pop_front();
    const TimePs start = cpu.now_ps();
    cpu.busy(Component::dm, timing_.dm_dispatch_ps);  // HSM wakes acrn-dm's ioreq client thread
    // The emulation changes state other vCPUs see (BARs, EPT mappings): at
    // its own simulated time.
    cpu.synchronize();
    p->dm->handle(*p->req);
    cpu.busy(Component::dm, timing_.dm_handler_ps);
    cpu.synchronize();
    ++served_;
    if (trace::Sink* t = trace::sink()) t->dm_request(p->req->vm, cpu.trace_cpu(), start, cpu.now_ps());
    // Completion hypercall; the hypervisor resumes the waiting vCPU.
    p->complete = true;
    p->done.notify(sc_time::from_value(timing_.ioreq_complete_ps));
  }
}

}  // namespace ivsim
