// The workloads section of a scenario: each workload's kind, region, roles
// and parameters, checked against the workload library's catalogue
// (workloads/workload_kind.h); then a default pingpong for each region no
// workload uses. VMs and regions are read first (scenario_loader).
#pragma once

#include <string>
#include <vector>

#include "platforms/scenario.h"
#include "sim/scenario_fields.h"

namespace ivsim {

// Reads `list` (workloads[], or null when the scenario has none) into
// s.workloads, then adds the default workloads.
void read_scenario_workloads(const ScenarioTree& tree, std::vector<std::string>* warnings, Scenario& s,
                             const Node* list);

}  // namespace ivsim
