// acrn-dm's I/O request thread in the Service VM, as a SystemC process: the
// hypervisor's upcall wakes it, it takes requests from the ioreq page in
// order, emulates them and completes each with a hypercall that resumes the
// waiting vCPU. Every hop is a timed step of the profile.
#pragma once

#include <deque>
#include <systemc>

#include "models/core/timing.h"
#include "models/dm/device_model.h"

namespace ivsim {

class DeviceModelModule : public sc_core::sc_module, public IoRequestHandler {
 public:
  DeviceModelModule(sc_core::sc_module_name name, DeviceModel& dm, const TimingParams& timing);

  void submit(IoRequest& req) override;
  DeviceModel& model() { return dm_; }

 private:
  struct Pending {
    IoRequest* req;
    TimePs ready_ps;  // when the upcall reaches the Service VM
    sc_core::sc_event done;
  };
  void thread();

  DeviceModel& dm_;
  TimingParams timing_;
  std::deque<Pending*> queue_;
  sc_core::sc_event kick_;
};

}  // namespace ivsim
