// The Service VM's side of an I/O request, as ACRN runs it, through the
// VM's I/O request page in Service VM memory (one 64-byte slot per vCPU):
// the hypervisor fills the requester's slot and marks it PENDING, then
// upcalls the Service VM's vCPU 0 with the HSM notification vector
// (acrn_insert_request -> arch_fire_hsm_interrupt); the HSM driver's
// interrupt handler scans the slots (ioreq_dispatcher), marks a pending one
// PROCESSING and hands it to the VM's acrn-dm, which emulates it, writes the
// value and COMPLETE, and unless the VM polls for completion makes the
// HC_NOTIFY_REQUEST_FINISH hypercall that wakes the requester
// (hcall_notify_ioreq_finish); the requester reads the value and frees the
// slot (complete_ioreq).
//
// The Service VM's side runs on its vCPU, in its interrupt handler, with
// its own loads, stores and VMCALL: a halted vCPU is woken (and scheduled,
// on a shared pCPU) like any other, a busy one is interrupted, so every hop
// is a timed step and the scheduler's decisions delay the request as they
// would on the board.
#pragma once

#include <map>
#include <systemc>
#include <utility>
#include <vector>

#include "models/core/timing.h"
#include "models/cpu/vcpu_module.h"
#include "models/dm/device_model.h"

namespace ivsim {

class Hypervisor;

class Hsm : public IoRequestHandler {
 public:
  // HYPERVISOR_CALLBACK_HSM_VECTOR, the vector the Service VM's HSM driver
  // registers (hypervisor/dm/io_req.c acrn_hsm_notification_vector).
  static constexpr u8 kNotificationVector = 0xF3;

  Hsm(Hypervisor& hv, const TimingParams& timing) : hv_(hv), timing_(timing) {}

  // acrn-dm of one post-launched VM: its requests go there.
  void attach(DeviceModel& dm);
  // The Service VM vCPU the upcall goes to (its vCPU 0): installs the HSM
  // interrupt handler and keeps the vCPU in its idle loop when no program runs.
  void set_upcall_vcpu(Vcpu& v);
  const Vcpu* upcall_vcpu() const override { return upcall_; }

  // acrn_insert_request, in the requesting vCPU's thread (inside its
  // exit): blocks until the request is complete (or dropped by a reset).
  void submit(IoRequest& req, Vcpu* requester) override;
  // hcall_notify_ioreq_finish's signal_event(VCPU_EVENT_IOREQ).
  // `at`: when the hypercall made it (the hypervisor's time in that exit).
  void ioreq_finished(VmId vm, unsigned vcpu, TimePs at);

  u64 requests_served() const { return served_; }
  // Of those, 0xCF8 accesses the HSM completed itself (handle_cf8cfc).
  u64 config_address_writes() const { return config_address_writes_; }
  // The HSM's latch of a VM's last 0xCF8 write (vm->pci_conf_addr), as written.
  u32 pci_conf_addr(VmId vm) const {
    auto it = pci_conf_addr_.find(vm);
    return it == pci_conf_addr_.end() ? 0 : it->second;
  }

 private:
  struct Waiter {
    DeviceModel* dm = nullptr;
    sc_core::sc_event done;
    bool complete = false;
    const void* finished_by = nullptr;  // the process whose hypercall woke the requester
    bool in_service = false;  // taken by the HSM's handler: the requester must not unwind yet
  };
  // The HSM interrupt handler on the Service VM vCPU (ioreq_dispatcher).
  void serve(Vcpu& cpu);
  // One PENDING slot: PROCESSING, acrn-dm, value, COMPLETE, notification.
  void dispatch(Vcpu& cpu, VmId vm, unsigned vcpu, Waiter& w);
  // handle_cf8cfc: true when the HSM completed the request itself (0xCF8,
  // or 0xCFC with its latch disabled); a data-port access otherwise leaves
  // the slot rewritten as a config request for acrn-dm.
  bool handle_cf8cfc(Vcpu& cpu, VmId vm, Gpa slot);
  // COMPLETE in the slot, then the notification (acrn_ioreq_complete_request).
  void finish(Vcpu& cpu, VmId vm, unsigned vcpu, Waiter& w, TimePs start);
  static ServiceVmPort service_vm_port(Vcpu& cpu);
  Hpa slot_hpa(VmId vm, unsigned vcpu) const;
  Gpa slot_gpa(const DeviceModel& dm, unsigned vcpu) const;

  Hypervisor& hv_;
  TimingParams timing_;
  std::map<VmId, DeviceModel*> device_models_;
  Vcpu* upcall_ = nullptr;
  // Requests in flight, scanned in VM then vCPU order as the dispatcher
  // walks the VMs' request pages.
  std::map<std::pair<VmId, unsigned>, Waiter*> waiting_;
  // serve()'s list of the requests to look at: reading a slot may hand over
  // to the kernel, where a request of a paused VM is dropped (its entry
  // erased), so the scan does not hold an iterator into waiting_ across it.
  std::vector<std::pair<VmId, unsigned>> scan_;
  u64 served_ = 0;
  u64 config_address_writes_ = 0;
  std::map<VmId, u32> pci_conf_addr_;  // by VM: the HSM's struct acrn_vm outlives a reset
};

}  // namespace ivsim
