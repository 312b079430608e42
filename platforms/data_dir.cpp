#include "platforms/data_dir.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace ivsim {

namespace {

bool has_data(const std::string& dir) {
  struct stat st;
  return !dir.empty() && stat((dir + "/scenarios/default.yaml").c_str(), &st) == 0;
}

// share/ivsim beside the running program's bin/: an installed ivsim, or one
// unpacked from its package anywhere.
std::string beside_program() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string exe(buf, static_cast<std::size_t>(n));
  for (int up = 0; up < 2; ++up) {
    const auto slash = exe.rfind('/');
    if (slash == std::string::npos) return "";
    exe.resize(slash);
  }
  return exe + "/share/ivsim";
}

std::string located_data_dir() {
  if (const std::string dir = beside_program(); has_data(dir)) return dir;
  if (has_data(IVSIM_SOURCE_DATA_DIR)) return IVSIM_SOURCE_DATA_DIR;
  return IVSIM_INSTALL_DATA_DIR;
}

}  // namespace

std::string data_dir() {
  if (const char* env = std::getenv("IVSIM_DATA_DIR"); env && *env) return env;
  static const std::string dir = located_data_dir();
  return dir;
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
