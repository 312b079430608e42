// Where the shipped scenarios, boards and timing profiles live.
#pragma once

#include <string>
#include <vector>

namespace ivsim {

// $IVSIM_DATA_DIR when set, else the platforms/ folder of the source tree
// the binary was built from.
std::string data_dir();
std::string default_scenario_path();  // data_dir()/scenarios/default.yaml
// The names (without .yaml) of the files in data_dir()/<folder>, sorted.
std::vector<std::string> shipped_yaml_names(const std::string& folder);

}  // namespace ivsim
