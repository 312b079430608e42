#include "models/hv/hypervisor_module.h"

#include "models/core/pending_activity.h"
#include "models/cpu/vcpu_module.h"

#include <cstring>

namespace ivsim {

HypervisorModule::HypervisorModule(sc_core::sc_module_name name, Hypervisor& hv)
    : sc_module(name), exits("exits"), hv_(hv) {
  exits.register_b_transport(this, &HypervisorModule::b_transport);
  hv_.set_invept_hook([this](const Vm& vm) {
    // Before the simulation starts no vCPU holds a DMI pointer yet (a
    // harness may destroy and create vdevs then), and the sockets are not
    // usable before the end of elaboration.
    if (!sc_core::sc_start_of_simulation_invoked()) return;
    for (unsigned port : vm.vcpu_ports) exits[port]->invalidate_direct_mem_ptr(0, ~sc_dt::uint64{0});
  });
}

void HypervisorModule::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  auto* exit = gp.get_extension<VmExitExtension>();
  if (!exit || gp.get_data_length() > 8 || gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  IoRequest req;
  const bool handled =
      hv_.handle_exit(*exit, gp.get_address(), gp.get_data_length(), gp.is_write(), gp.get_data_ptr(), req);
  if (handled) {
    if (exit->lock_instr != VmExitExtension::LockInstrStep::none)
      lock_instr_emulation(*exit, delay);
    else if (exit->wbinvd != VmExitExtension::WbinvdStep::none)
      wbinvd_emulation(*exit, delay);
    else
      delay += sc_core::sc_time::from_value(exit->cost.total());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  // acrn_insert_request: the request waits in the ioreq page while the
  // Service VM's device model serves it; the vCPU is paused meanwhile.
  sc_core::wait(delay + sc_core::sc_time::from_value(exit->cost.total()));
  delay = sc_core::SC_ZERO_TIME;
  const TimePs start = sc_core::sc_time_stamp().value();
  auto it = device_models_.find(exit->vm);
  if (it == device_models_.end()) {
    // A post-launched VM without a device model: nothing answers.
    if (!req.write) req.value = ~u64{0};
  } else {
    // The vCPU is paused until completion: under SCHED_IORR and friends it
    // yields its pCPU meanwhile, and must be scheduled back; a VM that polls
    // for completion keeps it.
    const Vm* vm = hv_.vm(exit->vm);
    if (exit->source) exit->source->io_wait_begin(it->second->upcall_vcpu(), vm && vm->is_polling_ioreq);
    it->second->submit(req, exit->source);
    if (exit->source) exit->source->io_wait_end(req.completed_by);
  }

  exit->cost.add(Component::dm, sc_core::sc_time_stamp().value() - start);
  hv_.complete_ioreq(*exit, req);
  delay = sc_core::sc_time::from_value(hv_.console_vmexit_callback(*exit, sc_core::sc_time_stamp().value()));
  if (!req.write) std::memcpy(gp.get_data_ptr(), &req.value, gp.get_data_length());
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void HypervisorModule::wait_while_held(const std::optional<unsigned>& holder, const sc_core::sc_event& released,
                                       const VmExitExtension& exit) {
  while (holder && !(exit.source && exit.source->zombie())) {
    if (exit.source)
      sc_core::wait(released | exit.source->zombie_event());
    else
      sc_core::wait(released);
  }
}

void HypervisorModule::lock_instr_emulation(VmExitExtension& exit, sc_core::sc_time& delay) {
  // At the handler's time, as the hypervisor's other actions on other vCPUs
  // are (Hypervisor::exit_now): the exit's cost so far passes first.
  sc_core::wait(delay + sc_core::sc_time::from_value(exit.cost.total()));
  delay = sc_core::SC_ZERO_TIME;
  Vm& vm = *hv_.vm(exit.vm);
  if (exit.lock_instr == VmExitExtension::LockInstrStep::complete) {
    hv_.vcpu_complete_lock_instr_emulation(vm, exit.vcpu);
    pending_activity::notify(vm_lock_released_, sc_core::SC_ZERO_TIME);
    return;
  }
  // get_vm_lock spins while another vCPU of the VM steps its own; a vCPU of
  // a VM paused meanwhile stops.
  const TimePs start = sc_core::sc_time_stamp().value();
  wait_while_held(vm.lock_instr_emulation_by, vm_lock_released_, exit);
  if (!vm.lock_instr_emulation_by) hv_.vcpu_kick_lock_instr_emulation(vm, exit.vcpu);
  exit.cost.add(Component::hv, sc_core::sc_time_stamp().value() - start);
}

void HypervisorModule::wbinvd_emulation(VmExitExtension& exit, sc_core::sc_time& delay) {
  // At the handler's time, as the hypervisor's other actions on shared
  // state are: the exit's cost so far passes first. The lines leave the
  // caches when the flush starts; its time follows.
  sc_core::wait(delay + sc_core::sc_time::from_value(exit.cost.total()));
  delay = sc_core::SC_ZERO_TIME;
  Vm& vm = *hv_.vm(exit.vm);
  if (exit.wbinvd != VmExitExtension::WbinvdStep::own_memory_paused) {
    // No one else waits for its end: its time is the exit's delay.
    const TimePs now_ps = sc_core::sc_time_stamp().value();
    const TimePs t = exit.wbinvd == VmExitExtension::WbinvdStep::host ? hv_.wbinvd_host(vm, exit.vcpu, now_ps)
                                                                      : hv_.flush_vm_memory(vm, exit.vcpu, now_ps);
    exit.cost.add(Component::hv, t);
    delay = sc_core::sc_time::from_value(t);
    return;
  }
  // spinlock_obtain(&vm->wbinvd_lock): another vCPU of the VM flushing for
  // its own WBINVD holds it; a vCPU of a VM paused meanwhile stops.
  const TimePs start = sc_core::sc_time_stamp().value();
  wait_while_held(vm.wbinvd_by, wbinvd_lock_released_, exit);
  if (exit.source && exit.source->zombie()) {
    exit.cost.add(Component::hv, sc_core::sc_time_stamp().value() - start);
    return;
  }
  // The others wait from their next VM entry until the walk is done: the
  // signal comes at its end, in simulated time.
  hv_.wbinvd_pause_others(vm, exit.vcpu);
  sc_core::wait(sc_core::sc_time::from_value(hv_.flush_vm_memory(vm, exit.vcpu, sc_core::sc_time_stamp().value())));
  hv_.wbinvd_resume_others(vm, exit.vcpu);
  pending_activity::notify(wbinvd_lock_released_, sc_core::SC_ZERO_TIME);
  exit.cost.add(Component::hv, sc_core::sc_time_stamp().value() - start);
}

}  // namespace ivsim
