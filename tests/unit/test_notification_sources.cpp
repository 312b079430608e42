// Running ahead is exact only if the kernel's next activity it is judged by
// is never stale (models/core/pending_activity.h): every event notification
// in the models must go through pending_activity::notify. This test reads
// the sources and finds any sc_event::notify made directly.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

TEST_CASE("every event notification in the simulator goes through pending_activity::notify") {
  const fs::path root = fs::path(IVSIM_TESTS_DIR).parent_path();
  // sc_event::notify() or notify(<an sc_time>): what SystemC's events take;
  // the models' own notify functions take other arguments.
  const std::regex direct(R"((\.|->)notify\(\s*(\)|(sc_core::)?(sc_time|SC_ZERO_TIME)))");
  std::vector<std::string> found;
  unsigned files = 0;
  for (const char* dir : {"models", "platforms", "workloads", "sim"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      const std::string ext = e.path().extension().string();
      if (ext != ".cpp" && ext != ".h") continue;
      if (e.path().filename() == "pending_activity.h") continue;  // the one place that notifies
      ++files;
      std::ifstream in(e.path());
      std::string line;
      for (unsigned n = 1; std::getline(in, line); ++n)
        if (std::regex_search(line, direct)) found.push_back(e.path().string() + ":" + std::to_string(n) + ": " + line);
    }
  }
  CHECK(files > 50);
  INFO("direct notifications:\n"
       << [&] {
            std::string s;
            for (const auto& f : found) s += f + "\n";
            return s;
          }());
  CHECK(found.empty());
}
