// The Service VM's side of an I/O request, as ACRN runs it: the hypervisor
// marks the request pending in the VM's ioreq page and upcalls the Service
// VM with the HSM notification vector on its vCPU 0 (acrn_insert_request ->
// arch_fire_hsm_interrupt -> vlapic_set_intr); the HSM driver's interrupt
// handler scans the pending requests and wakes the acrn-dm of each VM, which
// emulates the access and completes it with a hypercall that resumes the
// waiting vCPU (hcall_notify_ioreq_finish).
//
// The work runs on that Service VM vCPU, in its interrupt handler: a halted
// vCPU is woken (and scheduled, on a shared pCPU) like any other, a busy one
// is interrupted, so every hop is a timed step of the profile and the
// scheduler's decisions delay the request as they would on the board.
#pragma once

#include <deque>
#include <map>
#include <systemc>

#include "models/core/timing.h"
#include "models/cpu/vcpu_module.h"
#include "models/dm/device_model.h"

namespace ivsim {

class Hsm : public IoRequestHandler {
 public:
  // HYPERVISOR_CALLBACK_HSM_VECTOR, the vector the Service VM's HSM driver
  // registers (hypervisor/dm/io_req.c acrn_hsm_notification_vector).
  static constexpr u8 kNotificationVector = 0xF3;

  explicit Hsm(const TimingParams& timing) : timing_(timing) {}

  // acrn-dm of one post-launched VM: its requests go there.
  void attach(DeviceModel& dm);
  // The Service VM vCPU the upcall goes to (its vCPU 0): installs the HSM
  // interrupt handler and keeps the vCPU in its idle loop when no program runs.
  void set_upcall_vcpu(Vcpu& v);
  const Vcpu* upcall_vcpu() const override { return upcall_; }

  // Called in the requesting vCPU's thread (inside its exit): blocks until
  // the request is complete.
  void submit(IoRequest& req, Vcpu* requester) override;

  u64 requests_served() const { return served_; }

 private:
  struct Pending {
    IoRequest* req;
    DeviceModel* dm;
    sc_core::sc_event done;
    bool complete = false;
    bool in_service = false;  // taken by the HSM's handler: the requester must not unwind yet
  };
  // The HSM interrupt handler on the Service VM vCPU.
  void serve(Vcpu& cpu);
  static ServiceVmPort service_vm_port(Vcpu& cpu);

  TimingParams timing_;
  std::map<VmId, DeviceModel*> device_models_;
  Vcpu* upcall_ = nullptr;
  std::deque<Pending*> pending_;
  u64 served_ = 0;
};

}  // namespace ivsim
