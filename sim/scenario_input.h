// The inputs a scenario is made of on the command line, in one place for
// run, validate and show: a YAML scenario, or an ACRN scenario XML with its
// board; an optional workloads file over it; then --set overrides.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "platforms/scenario.h"

namespace ivsim {

struct ScenarioInput {
  std::string yaml;          // YAML scenario file ("" with no scenario_xml: the shipped default)
  std::string scenario_xml;  // ACRN scenario file, with...
  std::string board;         // ...its board: an ACRN board file or a shipped board name
  std::string launch_xml;    // an ACRN 2.x launch file merged into the ACRN scenario (sim/acrn_launch_xml.h)
  std::string workloads;     // YAML file with workloads: (and run:, timing:) put over the scenario's
  std::vector<std::string> sets;
  // --seed N: run.seed, after the --set overrides, checked as run.seed is
  // and located at --seed.
  std::optional<std::string> seed;
};

// Loads and validates; throws ConfigError (nothing is written, nothing runs).
Scenario load_scenario(const ScenarioInput& input, std::vector<std::string>* warnings = nullptr);

// What `ivsim validate FILE` checks: a YAML scenario, an ACRN scenario XML
// (with common.board), or an ACRN board XML; common.workloads and
// common.sets apply to scenarios. Returns what the file is, for the "ok"
// line: "scenario NAME" or "board NAME".
std::string validate_input_file(const std::string& path, const ScenarioInput& common,
                                std::vector<std::string>* warnings = nullptr);

}  // namespace ivsim
