#include "platforms/data_dir.h"

#include <cstdlib>

namespace ivsim {

std::string data_dir() {
  if (const char* env = std::getenv("IVSIM_DATA_DIR"); env && *env) return env;
  return IVSIM_SOURCE_DATA_DIR;
}

std::string default_scenario_path() { return data_dir() + "/scenarios/default.yaml"; }

}  // namespace ivsim
