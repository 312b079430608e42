// The hypervisor as a SystemC module: every vCPU's exit socket binds to its
// exit target socket; INVEPT goes back to the VM's vCPUs as DMI
// invalidation; accesses only a device model serves go to the Service VM's
// device model as I/O requests, the exiting vCPU waiting for completion.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <map>
#include <optional>
#include <systemc>
#include <tlm>

#include "models/dm/io_request.h"
#include "models/hv/hypervisor.h"

namespace ivsim {

class HypervisorModule : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<HypervisorModule> exits;

  HypervisorModule(sc_core::sc_module_name name, Hypervisor& hv);

  Hypervisor& core() { return hv_; }
  // The device model serving a post-launched VM's I/O requests.
  void attach_device_model(VmId vm, IoRequestHandler& dm) { device_models_[vm] = &dm; }

 private:
  void b_transport(int port, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  // The split-lock emulation's kick and completion (VmExitExtension::lock_instr).
  void lock_instr_emulation(VmExitExtension& exit, sc_core::sc_time& delay);
  // WBINVD's emulation (VmExitExtension::wbinvd).
  void wbinvd_emulation(VmExitExtension& exit, sc_core::sc_time& delay);
  // A VM-wide lock's spin (get_vm_lock, the wbinvd_lock): waits while a
  // vCPU holds it, or until the exiting vCPU's VM is paused.
  void wait_while_held(const std::optional<unsigned>& holder, const sc_core::sc_event& released,
                       const VmExitExtension& exit);

  Hypervisor& hv_;
  sc_core::sc_event vm_lock_released_{"vm_lock_released"};  // at each MTF exit (put_vm_lock)
  sc_core::sc_event wbinvd_lock_released_{"wbinvd_lock_released"};
  std::map<VmId, IoRequestHandler*> device_models_;
};

}  // namespace ivsim
