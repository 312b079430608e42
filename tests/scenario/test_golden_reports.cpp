// Every shipped scenario's report, host aside, is the one committed in
// tests/data/golden: a change meant only to make the twin faster (fewer
// synchronisations, cheaper bookkeeping) must not move a single figure.
// A change meant to alter results regenerates them with
// scripts/update-golden-reports.sh and says why in its commit.
#include <dirent.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli.h"

namespace {

const std::string kRoot = std::string(IVSIM_TESTS_DIR) + "/..";

// Shipped scenarios as paths below platforms/scenarios.
std::vector<std::string> shipped() {
  std::vector<std::string> out;
  for (const std::string sub : {"", "library/"}) {
    if (DIR* d = opendir((kRoot + "/platforms/scenarios/" + sub).c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".yaml") == 0) out.push_back(sub + n);
      }
      closedir(d);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string golden_name(std::string rel) {
  std::replace(rel.begin(), rel.end(), '/', '_');
  return rel.substr(0, rel.size() - 5) + ".json";
}

}  // namespace

TEST_CASE("every shipped scenario's report is its committed golden report, host aside") {
  const auto files = shipped();
  REQUIRE(files.size() >= 10);
  for (const auto& rel : files) {
    INFO(rel);
    const std::string golden_path = kRoot + "/tests/data/golden/" + golden_name(rel);
    INFO("no golden report yet? scripts/update-golden-reports.sh writes " << golden_path);
    REQUIRE(cli::exists(golden_path));
    const std::string report = cli::temp_path("golden.json");
    // From the repository's root, as the script runs it: a Lua guest's
    // script path appears in the report as the scenario names it.
    const cli::Result r = cli::run("cd " + kRoot + " && " + IVSIM_BINARY + " run --quiet platforms/scenarios/" + rel +
                                   " --report " + report);
    INFO(r.out);
    REQUIRE(r.status == 0);
    auto got = nlohmann::json::parse(cli::slurp(report));
    got.erase("host");
    const auto want = nlohmann::json::parse(cli::slurp(golden_path));
    if (got != want) {
      // The first differences, as a JSON patch from the golden report.
      const auto patch = nlohmann::json::diff(want, got);
      std::string first;
      for (std::size_t i = 0; i < std::min<std::size_t>(patch.size(), 8); ++i) first += patch[i].dump() + "\n";
      FAIL_CHECK(patch.size() << " differences from the golden report, first:\n" << first);
    }
  }
}
