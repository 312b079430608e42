#include "platforms/scenario.h"

namespace ivsim {

const char* to_string(LoadOrder l) {
  switch (l) {
    case LoadOrder::pre_launched:
      return "PRE_LAUNCHED_VM";
    case LoadOrder::service_vm:
      return "SERVICE_VM";
    case LoadOrder::post_launched:
      return "POST_LAUNCHED_VM";
  }
  return "?";
}

const char* to_string(Provider p) { return p == Provider::hypervisor ? "Hypervisor" : "Device Model"; }

std::set<unsigned> service_vm_offline_pcpus(const Scenario& s) {
  std::set<unsigned> taken;
  for (const auto& vm : s.vms)
    if (vm.load_order == LoadOrder::post_launched &&
        (vm.vm_type == "RTVM" || s.scheduler == "SCHED_NOOP" || vm.own_pcpu))
      taken.insert(vm.pcpus.begin(), vm.pcpus.end());
  std::set<unsigned> offline;
  for (const auto& vm : s.vms)
    if (vm.load_order == LoadOrder::service_vm)
      for (std::size_t i = 1; i < vm.pcpus.size(); ++i)
        if (taken.count(vm.pcpus[i])) offline.insert(vm.pcpus[i]);
  return offline;
}

}  // namespace ivsim
