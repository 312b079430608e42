// acrn-dm's I/O request thread in the Service VM, as a SystemC process: the
// hypervisor's upcall wakes it, it takes requests from the ioreq page in
// order, emulates them and completes each with a hypercall that resumes the
// waiting vCPU. Every hop is a timed step of the profile.
#pragma once

#include <deque>
#include <systemc>

#include "models/core/timing.h"
#include "models/cpu/vcpu_module.h"

#include "models/dm/device_model.h"

namespace ivsim {

class DeviceModelModule : public sc_core::sc_module, public IoRequestHandler {
 public:
  DeviceModelModule(sc_core::sc_module_name name, DeviceModel& dm, const TimingParams& timing);

  void submit(IoRequest& req) override;
  // The Service VM vCPU acrn-dm runs on: it must hold its pCPU to work.
  void set_service_vcpu(Vcpu& v) { service_vcpu_ = &v; }

  DeviceModel& model() { return dm_; }

 private:
  struct Pending {
    IoRequest* req;
    TimePs ready_ps;  // when the upcall reaches the Service VM
    sc_core::sc_event done;
  };
  void thread();

  DeviceModel& dm_;
  Vcpu* service_vcpu_ = nullptr;

  TimingParams timing_;
  std::deque<Pending*> queue_;
  sc_core::sc_event kick_;
};

}  // namespace ivsim
