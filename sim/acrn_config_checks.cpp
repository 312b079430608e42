#include "sim/acrn_config_checks.h"

#include <algorithm>
#include <map>
#include <set>

#include "sim/scenario_fit.h"
#include "sim/suggest.h"

namespace ivsim {

namespace {

std::string names(const std::vector<const VmConfig*>& vms) {
  std::vector<std::string> out;
  for (const VmConfig* v : vms) out.push_back(v->name);
  return join_list(out);
}

class Checks {
 public:
  Checks(const Scenario& s, const Board& b) : s_(s), board_(b) {}

  std::vector<ConfiguratorFinding> run() {
    cpu_assignment();
    vm_types();
    return out_;
  }

 private:
  void add(const std::string& path, const char* check, bool error, const std::string& msg) {
    out_.push_back(ConfiguratorFinding{path, check, error, msg});
  }

  // cpu_assignment.xsd. The Service VM has no cpu_affinity in a 3.x
  // scenario (it takes the pCPUs the others leave), so it shares with no one.
  void cpu_assignment() {
    std::map<unsigned, std::vector<const VmConfig*>> users;  // pCPU -> VMs other than the Service VM
    for (const VmConfig& vm : s_.vms)
      if (vm.load_order != LoadOrder::service_vm)
        for (unsigned p : std::set<unsigned>(vm.pcpus.begin(), vm.pcpus.end())) users[p].push_back(&vm);
    for (const VmConfig& vm : s_.vms) {
      if (vm.load_order == LoadOrder::service_vm) continue;
      const std::string p = vm_path(s_, vm) + ".cpu_affinity";
      const bool rt = vm.vm_type == "RTVM";
      for (unsigned pcpu : std::set<unsigned>(vm.pcpus.begin(), vm.pcpus.end())) {
        const auto& on = users[pcpu];
        if (on.size() > 1 && (rt || vm.own_pcpu))
          add(p, "cpu_assignment.xsd", true,
              rt ? "pCPU " + std::to_string(pcpu) + " of RTVM " + vm.name + " may not be shared, but VMs " + names(on) +
                       " all run on it"
                 : "pCPU " + std::to_string(pcpu) + " belongs to " + vm.name +
                       ", which owns its pCPUs (own_pcpu), but VMs " + names(on) + " all run on it");
      }
      if (rt && std::set<unsigned>(vm.pcpus.begin(), vm.pcpus.end()).count(0))
        add(p, "cpu_assignment.xsd", true, "CPU 0 can not be assigned to RTVM " + vm.name);
      std::set<std::string> types;
      for (unsigned pcpu : vm.pcpus)
        if (const PhysicalCpu* c = board_.find_pcpu(pcpu)) types.insert(c->core_type);
      if (types.count("Core") && types.count("Atom"))
        add(p, "cpu_assignment.xsd", true,
            "the pCPUs of " + vm.name + " mix performance (Core) and efficiency (Atom) cores, which is unsupported");
    }
    // Its LAPIC belongs to the guest, so the hypervisor's console timer
    // cannot interrupt it there: console_vmexit_callback drives the console
    // from that vCPU's VM exits instead.
    for (const VmConfig& vm : s_.vms)
      if (vm.lapic_passthrough && std::count(vm.pcpus.begin(), vm.pcpus.end(), s_.vuart_timer_pcpu))
        add("hypervisor.vuart_timer_pcpu", "cpu_assignment.xsd", false,
            "physical CPU " + std::to_string(s_.vuart_timer_pcpu) +
                " hosting the vUART timer is assigned to a LAPIC passthrough VM (" + vm.name +
                "); the console may be laggy");
  }

  // vm_types.xsd: pre-launched VMs below the Service VM's id, post-launched
  // ones above; at most one pre-launched RTVM, and not beside post-launched ones.
  void vm_types() {
    const VmConfig* service = nullptr;
    for (const VmConfig& vm : s_.vms)
      if (vm.load_order == LoadOrder::service_vm) service = &vm;
    std::vector<const VmConfig*> pre_rt, post_rt;
    for (const VmConfig& vm : s_.vms) {
      const std::string id = std::to_string(vm.id);
      if (service && vm.load_order == LoadOrder::pre_launched && vm.id > service->id)
        add(vm_path(s_, vm) + ".id", "vm_types.xsd", true,
            "pre-launched VM " + vm.name + " (ID " + id + ") must have an ID below the Service VM's (" +
                std::to_string(service->id) + ")");
      if (service && vm.load_order == LoadOrder::post_launched && vm.id < service->id)
        add(vm_path(s_, vm) + ".id", "vm_types.xsd", true,
            "post-launched VM " + vm.name + " (ID " + id + ") must have an ID above the Service VM's (" +
                std::to_string(service->id) + ")");
      if (vm.vm_type == "RTVM" && vm.load_order == LoadOrder::pre_launched) pre_rt.push_back(&vm);
      if (vm.vm_type == "RTVM" && vm.load_order == LoadOrder::post_launched) post_rt.push_back(&vm);
    }
    if (pre_rt.size() > 1)
      add(vm_path(s_, *pre_rt[1]) + ".vm_type", "vm_types.xsd", false,
          "ACRN supports at most one pre-launched RTVM, and " + names(pre_rt) + " are");
    if (!pre_rt.empty() && !post_rt.empty())
      add(vm_path(s_, *post_rt.front()) + ".vm_type", "vm_types.xsd", false,
          "pre-launched RTVMs (" + names(pre_rt) + ") and post-launched RTVMs (" + names(post_rt) +
              ") may not coexist");
  }

  const Scenario& s_;
  const Board& board_;
  std::vector<ConfiguratorFinding> out_;
};

}  // namespace

std::vector<ConfiguratorFinding> acrn_configurator_findings(const Scenario& s, const Board& board) {
  return Checks(s, board).run();
}

}  // namespace ivsim
