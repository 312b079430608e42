// Where the shipped scenarios, boards and timing profiles live.
#pragma once

#include <string>

namespace ivsim {

// $IVSIM_DATA_DIR when set, else the platforms/ folder of the source tree
// the binary was built from.
std::string data_dir();
std::string default_scenario_path();  // data_dir()/scenarios/default.yaml

}  // namespace ivsim
