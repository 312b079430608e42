#include "platforms/data_dir.h"

#include <dirent.h>
#include <algorithm>
#include <cstdlib>

namespace ivsim {

std::string data_dir() {
  if (const char* env = std::getenv("IVSIM_DATA_DIR"); env && *env) return env;
  return IVSIM_SOURCE_DATA_DIR;
}

std::string default_scenario_path() { return data_dir() + "/scenarios/default.yaml"; }

std::vector<std::string> shipped_yaml_names(const std::string& folder) {
  std::vector<std::string> names;
  const std::string dir = data_dir() + "/" + folder;
  const std::string ext = ".yaml";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > ext.size() && n.compare(n.size() - ext.size(), ext.size(), ext) == 0)
        names.push_back(n.substr(0, n.size() - ext.size()));
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ivsim
