#include "models/dm/device_model_module.h"

namespace ivsim {

using sc_core::sc_time;

DeviceModelModule::DeviceModelModule(sc_core::sc_module_name name, DeviceModel& dm, const TimingParams& timing)
    : sc_module(name), dm_(dm), timing_(timing) {
  SC_HAS_PROCESS(DeviceModelModule);
  SC_THREAD(thread);
}

void DeviceModelModule::submit(IoRequest& req) {
  Pending p{&req, sc_core::sc_time_stamp().value() + timing_.ioreq_notify_ps, {}};
  queue_.push_back(&p);
  kick_.notify(sc_time::from_value(timing_.ioreq_notify_ps));
  sc_core::wait(p.done);
}

void DeviceModelModule::thread() {
  for (;;) {
    if (queue_.empty()) sc_core::wait(kick_);
    while (!queue_.empty()) {
      Pending* p = queue_.front();
      queue_.pop_front();
      const TimePs now = sc_core::sc_time_stamp().value();
      if (p->ready_ps > now) sc_core::wait(sc_time::from_value(p->ready_ps - now));
      // The upcall wakes a Service VM vCPU: on a shared pCPU it waits for
      // the scheduler before the device model can run.
      const bool entered = service_vcpu_ && service_vcpu_->device_model_enter();

      sc_core::wait(sc_time::from_value(timing_.dm_dispatch_ps));  // HSM wakes acrn-dm's thread
      dm_.handle(*p->req);
      sc_core::wait(sc_time::from_value(timing_.dm_handler_ps));
      if (entered) service_vcpu_->device_model_leave();

      // Completion hypercall; the vCPU resumes after it.
      p->done.notify(sc_time::from_value(timing_.ioreq_complete_ps));
    }
  }
}

}  // namespace ivsim
