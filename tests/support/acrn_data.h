// ACRN's own sample files (its configurator's board and scenario XML) are not
// part of the repository: a user's clone does not have them. Tests that read
// them take the folder from the environment variable IVSIM_ACRN_DATA, else
// from the CMake cache variable of the same name (default ../shared/acrn),
// else acrn-data/ in the source tree (where scripts/get-acrn-samples.sh puts
// them), and are skipped, with the reason on stdout, when none exists.
#pragma once

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace acrn_data {

inline bool is_dir(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline std::string dir() {
  if (const char* env = std::getenv("IVSIM_ACRN_DATA"); env && *env) return env;
  if (!is_dir(IVSIM_ACRN_DATA_DEFAULT) && is_dir(IVSIM_ACRN_DATA_FETCHED)) return IVSIM_ACRN_DATA_FETCHED;
  return IVSIM_ACRN_DATA_DEFAULT;
}

inline bool available() { return is_dir(dir()); }

// The folder, or the test process ends with the skip status ctest knows
// (SKIP_RETURN_CODE); each test case runs in its own process.
inline std::string require() {
  if (!available()) {
    std::printf("SKIPPED: ACRN's sample files are not at \"%s\"; set IVSIM_ACRN_DATA to their folder "
                "(scripts/get-acrn-samples.sh fetches them)\n",
                dir().c_str());
    std::fflush(stdout);
    std::_Exit(IVSIM_SKIP_RETURN_CODE);
  }
  return dir();
}

}  // namespace acrn_data
