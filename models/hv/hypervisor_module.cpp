#include "models/hv/hypervisor_module.h"

namespace ivsim {

HypervisorModule::HypervisorModule(sc_core::sc_module_name name, Hypervisor& hv)
    : sc_module(name), exits("exits"), hv_(hv) {
  exits.register_b_transport(this, &HypervisorModule::b_transport);
  hv_.set_invept_hook([this](const Vm& vm) {
    for (unsigned port : vm.vcpu_ports) exits[port]->invalidate_direct_mem_ptr(0, ~sc_dt::uint64{0});
  });
}

void HypervisorModule::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  auto* exit = gp.get_extension<VmExitExtension>();
  if (!exit || gp.get_data_length() > 8 || gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  hv_.handle_exit(*exit, gp.get_address(), gp.get_data_length(), gp.is_write(), gp.get_data_ptr());
  delay += sc_core::sc_time::from_value(exit->cost.total());
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace ivsim
