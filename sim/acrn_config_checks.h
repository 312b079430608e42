// What ACRN's configurator would report about a scenario: the checks of its
// schema (misc/config_tools/schema/checks, v3.3) on what the twin models,
// CPU affinity and VM types. The twin runs such a scenario as given (a
// what-if is what exploration is for) and warns, so that an integrator
// knows the configuration would not build as it stands.
#pragma once

#include <string>
#include <vector>

#include "platforms/board.h"
#include "platforms/scenario.h"

namespace ivsim {

struct ConfiguratorFinding {
  std::string path;     // the scenario field it is about, as Scenario::where takes it
  std::string check;    // the schema file: "cpu_assignment.xsd", "vm_types.xsd"
  bool error = true;    // the check's acrn:severity: error (the configurator refuses to save) or warning
  std::string message;  // what is wrong, in the check's terms
};

std::vector<ConfiguratorFinding> acrn_configurator_findings(const Scenario& s, const Board& board);

}  // namespace ivsim
