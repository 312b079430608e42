// The inputs the fuzz targets' regression tests replay: the seed corpus
// (fuzz/corpus/TARGET) and the reproducers of bugs the fuzzers found
// (fuzz/regressions/TARGET), in name order.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace ivsim::test {

struct FuzzInput {
  std::string path;
  std::string bytes;
};

inline std::vector<FuzzInput> fuzz_inputs(const std::string& target, const std::string& kind) {
  std::vector<std::string> names;
  const std::string dir = std::string(IVSIM_FUZZ_DIR) + "/" + kind + "/" + target;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::vector<FuzzInput> out;
  for (const auto& n : names) {
    std::ifstream f(dir + "/" + n, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    out.push_back({dir + "/" + n, s.str()});
  }
  return out;
}

inline const std::uint8_t* bytes_of(const FuzzInput& in) {
  return reinterpret_cast<const std::uint8_t*>(in.bytes.data());
}

}  // namespace ivsim::test

#include <cstdlib>
#include <functional>

namespace ivsim::test {

// With IVSIM_DUMP_FUZZ_SEEDS=DIR, the malformed-input corpora of the loader
// tests write each input to DIR/TARGET/ (fuzz/make-seeds.sh makes the seed
// corpus so).
inline void dump_fuzz_seed(const std::string& target, const std::string& bytes) {
  const char* dir = std::getenv("IVSIM_DUMP_FUZZ_SEEDS");
  if (!dir || !*dir) return;
  char name[32];
  std::snprintf(name, sizeof name, "test-%016zx", std::hash<std::string>{}(bytes));
  std::ofstream(std::string(dir) + "/" + target + "/" + name, std::ios::binary) << bytes;
}

}  // namespace ivsim::test
