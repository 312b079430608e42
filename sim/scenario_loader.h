// Reads a scenario from YAML (the shape of platforms/scenarios/default.yaml)
// into a validated Scenario. Every input error is a ConfigError located at
// the offending node (file:line:col) with the field path, e.g.
// "vms[1].cpu_affinity[0]"; command-line overrides are located at "--set".
#pragma once

#include <string>
#include <vector>

#include "platforms/scenario.h"

namespace ivsim {

// sets: "key.path=value" overrides ("vms[0].memory_mib=256" or
// "workloads.0.params.iterations=5"), applied to the YAML tree in order
// before validation. The value is YAML ("7", "[1, 2]", "{profile: x}").
// Missing mapping levels along the path are created (so "run.seed=7" works
// without a run: section); an index past the end of a list, or a path
// through a scalar, is an error.
//
// Warnings (valid but suspicious input, e.g. a region with fewer than two
// members) are formatted "file:line:col: warning: path: message". They are
// appended to *warnings when it is given, else printed to stderr.
Scenario load_scenario_file(const std::string& path, const std::vector<std::string>& sets,
                            std::vector<std::string>* warnings = nullptr);
Scenario load_scenario_text(const std::string& yaml_text, const std::string& file_name,
                            const std::vector<std::string>& sets, std::vector<std::string>* warnings = nullptr);

}  // namespace ivsim
