// Where the shipped scenarios, boards and timing profiles live.
#pragma once

#include <string>
#include <vector>

namespace ivsim {

// $IVSIM_DATA_DIR when set; else share/ivsim beside the running program's
// bin/ (an installed or unpacked ivsim); else the platforms/ folder of the
// source tree it was built from; else the configured install prefix's
// share/ivsim (a program linking the installed libraries). Never the current
// directory.
std::string data_dir();
std::string default_scenario_path();  // data_dir()/scenarios/default.yaml
// The names (without .yaml) of the files in data_dir()/<folder>, sorted.
std::vector<std::string> shipped_yaml_names(const std::string& folder);

}  // namespace ivsim
