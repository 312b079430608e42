// A guest's reboot as ACRN's hypervisor takes it
// (hypervisor/arch/x86/guest/vm_reset.c): the reset control register 0xCF9
// and the keyboard controller's reset command at 0x64, for every VM but a
// post-launched non-RT one (register_reset_port_handler), whose acrn-dm
// emulates both (models/dm/device_model.cpp).
#include "models/hv/hypervisor.h"
#include "models/hv/ivshmem_device.h"

namespace ivsim {

bool Hypervisor::is_reset_request(u16 port, unsigned size, u64 value) {
  if (size != 1) return false;
  if (port == kKeyboardPort) return (value & 0xFF) == 0xFE;
  return port == kResetControlPort && (value & 0x4) && (value & 0xA);
}

bool Hypervisor::handle_reset_port(Vm& vm, u16 port, unsigned size, bool write, u64& value) {
  if (port == kKeyboardPort) {
    // handle_kb_read: no keyboard controller is exposed, ~0U, of which the
    // guest sees its access's bytes; but the Service VM's one-byte read
    // reads the physical port, and the twin's board has no controller behind
    // it (an I/O read nothing answers returns 0xFF).
    if (!write) {
      value = vm.load_order == VmLoadOrder::service_vm && size == 1 ? u64{0xFF} : u64{0xFFFF'FFFFu};
      return true;
    }
    // handle_kb_write: only a 1-byte system reset command (0xFE) counts.
    return handle_common_reset_reg_write(vm, is_reset_request(port, size, value), false);
  }
  if (!write) {
    // handle_reset_reg_read: a post-launched RTVM's goes to acrn-dm; the
    // others read all ones (the register is hidden from guests).
    if (vm.load_order == VmLoadOrder::post_launched) return false;
    value = u64{0xFFFF'FFFFu};  // ~0U
    return true;
  }
  // handle_cf9_write: bit 2 with bit 1 or 3 resets; bit 3 clear is a warm reset.
  return handle_common_reset_reg_write(vm, is_reset_request(port, size, value), !(value & 0x8));
}

bool Hypervisor::handle_common_reset_reg_write(Vm& vm, bool reset, bool warm) {
  if (!reset) {
    // A post-launched RTVM's other values go to acrn-dm; the others' are ignored.
    return vm.load_order != VmLoadOrder::post_launched;
  }
  poweroff_if_rt_vm(vm);
  if (get_highest_severity_vm() == &vm) {
    // reset_host: the whole machine resets, every VM with it.
    ++vm.resets;
    host_reset_by_ = vm.name;
    for (Vm* v : vms()) {
      if (v->state == VmState::powered_off) continue;
      v->state = VmState::powered_off;
      if (lifecycle_.shutdown) lifecycle_.shutdown(*v);
    }
    if (lifecycle_.reset_host) lifecycle_.reset_host(vm, warm);
    return true;
  }
  if (vm.load_order == VmLoadOrder::post_launched) return false;  // acrn-dm resets it
  // The Service VM while an RTVM lives, or a pre-launched VM: ACRN does
  // not relaunch it; it is paused and shut down.
  ++vm.resets;
  pause_vm(vm);
  shutdown_vm(vm);
  return true;
}

void Hypervisor::poweroff_if_rt_vm(Vm& vm) {
  if (vm.rt_vm && vm.state != VmState::paused && vm.state != VmState::powered_off)
    vm.state = VmState::ready_to_poweroff;
}

const Vm* Hypervisor::get_highest_severity_vm() const {
  // get_highest_severity_vm(runtime): VM 0 to start with, then any live VM
  // of strictly higher severity (ties keep the lower id).
  const Vm* highest = vms_.empty() ? nullptr : vms_[0].get();
  for (std::size_t id = 1; id < vms_.size(); ++id) {
    const Vm* v = vms_[id].get();
    if (!v || v->state == VmState::powered_off) continue;
    if (!highest || v->severity > highest->severity) highest = v;
  }
  return highest;
}

void Hypervisor::shutdown_vm(Vm& vm) {
  // shutdown_vm (on the pCPU's shutdown request): a paused VM is powered off.
  if (vm.state != VmState::paused) return;
  // deinit_vpci: each of the VM's own vdevs deinitialised; an IVSHMEM one
  // leaves its region's doorbell peers (deinit_ivshmem_vdev), so the other
  // members' doorbells to it are dropped from now on.
  for (auto& d : ivshmem_devices_)
    if (&d->vm() == &vm) d->unbind_peer();
  vm.state = VmState::powered_off;
  if (lifecycle_.shutdown) lifecycle_.shutdown(vm);
}

}  // namespace ivsim
