// The hypervisor as a SystemC module: every vCPU's exit socket binds to its
// exit target socket; INVEPT goes back to the VM's vCPUs as DMI invalidation.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

#include "models/hv/hypervisor.h"

namespace ivsim {

class HypervisorModule : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<HypervisorModule> exits;

  HypervisorModule(sc_core::sc_module_name name, Hypervisor& hv);

  Hypervisor& core() { return hv_; }

 private:
  void b_transport(int port, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

  Hypervisor& hv_;
};

}  // namespace ivsim
