// The workload library's catalogue: each kind names its roles (which vCPUs
// it runs on) and its parameters, so a scenario can be validated before any
// model is built.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/pci/bdf.h"
#include "platforms/scenario.h"

namespace ivsim {

class Guest;
struct RegionHandle;
class MetricSink;

struct ParamSpec {
  std::string name;
  ParamValue::Type type = ParamValue::Type::integer;
  ParamValue default_value;
  double min = 0;  // inclusive, numeric types only
  double max = 0;  // inclusive, numeric types only; min == max == 0 means unbounded
  std::string unit;
  std::string doc;
  std::vector<std::string> choices;  // string parameters: the allowed values (empty: any)
};

// Context a role's program receives when it starts.
struct WorkloadContext {
  const WorkloadConfig* config = nullptr;
  MetricSink* metrics = nullptr;
  std::string role;
  pci::Bdf ivshmem_bdf;                       // where this role's VM sees the workload's region
  std::map<std::string, VmId> role_vm;        // every role's VM id (a doorbell's peer id)
  std::map<std::string, unsigned> role_vcpu;  // every role's vCPU index in its VM
  std::map<std::string, u32>
      role_apic_id;         // every role's CPU's APIC ID, as the guest's MADT lists it (an IPI's destination)
  std::string os = "bare";  // the guest OS personality of this role's VM (workloads/guest_os.h)
  u64 seed = 1;             // run.seed, for a program's own random choices
  // The twin's own view, for a program that judges isolation (the attacker):
  // MSIs each VM accepted so far, a digest of what exists (VMs, IVSHMEM
  // devices) that a refused hypercall must leave unchanged, and a VM's
  // memory as its EPT maps it (false where it maps none, or no such VM
  // exists yet). Not guest-visible.
  std::function<u64(VmId)> vm_interrupts;
  std::function<std::string()> platform_digest;
  std::function<bool(VmId, Gpa, void*, u64)> vm_memory;
  std::vector<VmId> all_vms;  // every VM of the scenario
  unsigned max_vm_num = 16;   // CONFIG_MAX_VM_NUM

  long long param_int(const std::string& name) const { return config->params.at(name).i; }
  const std::string& param_string(const std::string& name) const { return config->params.at(name).s; }
};

using RoleProgram = void (*)(Guest& guest, const WorkloadContext& ctx);

// Where a validated workload runs, for its kind's check: what the guest
// program would otherwise find out only at run time (a buffer past the VM's
// RAM, a doorbell on a region without MSI-X) is refused before anything is
// built.
struct RolePlacement {
  const VmConfig* vm = nullptr;
  // Guest RAM a tool may use, as offsets from the start of the VM's RAM
  // (Guest::ram_base): it may read [0, ram_end) and keep its data in
  // [kScratchOffset, scratch_end); above scratch_end sit the guest's page
  // tables and boot mailbox.
  u64 ram_end = 0;
  u64 scratch_end = 0;
};

struct WorkloadPlacement {
  const WorkloadConfig* config = nullptr;
  const RegionConfig* region = nullptr;  // null when the workload names none
  std::map<std::string, RolePlacement> roles;
};

// What is wrong and where: `field` is relative to the workload
// ("params.bytes", "region", "roles.pong.vm").
struct PlacementProblem {
  std::string field;
  std::string message;
};

using PlacementCheck = std::optional<PlacementProblem> (*)(const WorkloadPlacement& where);

struct RoleSpec {
  std::string name;
  std::string doc;
  RoleProgram program = nullptr;
  bool optional = false;  // a scenario may leave it out (fanout's extra consumers)
};

struct WorkloadKind {
  std::string name;
  std::string doc;
  std::vector<RoleSpec> roles;
  std::vector<ParamSpec> params;
  // false: the kind works in guest RAM and `region` may be left out (when
  // given, the kind works in that region instead).
  bool needs_region = true;
  PlacementCheck check = nullptr;  // null: nothing to check beyond the parameters' ranges
  // A Lua script's workload: its roles are the scenario's (any names), its
  // parameters any scalars, every role runs the script (workloads/lua_guest.h).
  bool scripted = false;
};

// The roles a workload runs: the kind's that the scenario places (optional
// ones may be absent), or every role a scripted workload names.
std::vector<RoleSpec> placed_roles(const WorkloadKind& kind, const WorkloadConfig& w);

// All built-in kinds, in a fixed order.
const std::vector<WorkloadKind>& workload_kinds();
const WorkloadKind* find_workload_kind(const std::string& name);

}  // namespace ivsim
