// Validates a scenario tree (from YAML, or from ACRN XML through
// acrn_scenario_xml) into a Scenario. Every input error is a ConfigError
// located at the offending node (file:line:col) with the field path, e.g.
// "vms[1].cpu_affinity[0]" (or the XML element path for XML input);
// command-line overrides are located at "--set".
//
// Besides checking, the loader completes the scenario the way ACRN's
// configurator would: a Service VM without cpu_affinity gets every pCPU no
// pre-launched VM uses, a region member without a VBDF gets the lowest free
// device number from 00:08.0, and a region no workload uses gets a default
// pingpong between its first two members.
#pragma once

#include <string>
#include <vector>

#include "platforms/scenario.h"
#include "sim/scenario_tree.h"

namespace ivsim {

// Warnings (valid but suspicious input, e.g. a region with fewer than two
// members) are formatted "file:line:col: warning: path: message". They are
// appended to *warnings when it is given, else printed to stderr.
Scenario validate_scenario_tree(const ScenarioTree& tree, std::vector<std::string>* warnings = nullptr);

// Puts a workloads file's sections over the tree: its `workloads:` list
// replaces the scenario's, its `run:` and `timing:` entries replace the
// scenario's entries of the same name. Any other key is an error located
// in that file.
void apply_workloads_text(ScenarioTree& tree, const std::string& yaml_text, const std::string& file_name);
void apply_workloads_file(ScenarioTree& tree, const std::string& path);

// YAML scenarios. sets: "key.path=value" overrides ("vms[0].memory_mib=256"
// or "workloads.0.params.iterations=5"), applied to the YAML tree in order
// before validation (see apply_set).
Scenario load_scenario_file(const std::string& path, const std::vector<std::string>& sets,
                            std::vector<std::string>* warnings = nullptr);
Scenario load_scenario_text(const std::string& yaml_text, const std::string& file_name,
                            const std::vector<std::string>& sets, std::vector<std::string>* warnings = nullptr);

}  // namespace ivsim
