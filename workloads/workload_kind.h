// The workload library's catalogue: each kind names its roles (which vCPUs
// it runs on) and its parameters, so a scenario can be validated before any
// model is built.
#pragma once

#include <map>
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
  std::map<std::string, unsigned> role_vcpu;  // every role's vCPU index in its VM (an IPI's destination)

  long long param_int(const std::string& name) const { return config->params.at(name).i; }
  const std::string& param_string(const std::string& name) const { return config->params.at(name).s; }
};

using RoleProgram = void (*)(Guest& guest, const WorkloadContext& ctx);

struct RoleSpec {
  std::string name;
  std::string doc;
  RoleProgram program = nullptr;
};

struct WorkloadKind {
  std::string name;
  std::string doc;
  std::vector<RoleSpec> roles;
  std::vector<ParamSpec> params;
  // false: the kind works in guest RAM and `region` may be left out (when
  // given, the kind works in that region instead).
  bool needs_region = true;
};

// All built-in kinds, in a fixed order.
const std::vector<WorkloadKind>& workload_kinds();
const WorkloadKind* find_workload_kind(const std::string& name);

}  // namespace ivsim
