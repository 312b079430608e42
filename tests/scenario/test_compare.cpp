// `ivsim compare`: the latency gate a CI job runs. Same input passes, a
// slower candidate fails with status 5 unless the tolerance allows it, both
// report schemas and sweep results are read, bad input is status 2.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "tests/scenario/cli.h"

namespace {

using Json = nlohmann::json;

const std::string kQuick = "--set workloads[0].params.iterations=500 --quiet";

// The default scenario's report, and one whose core-to-core transfers take
// 30 ns instead of 21 (the round trip grows from 366.2 to 402.2 ns, +9.8 %).
struct Reports {
  std::string base = cli::temp_path("base.json"), same = cli::temp_path("same.json"),
              slow = cli::temp_path("slow.json");
  Reports() {
    REQUIRE(cli::ivsim("run " + kQuick + " --report " + base).status == 0);
    REQUIRE(cli::ivsim("run " + kQuick + " --report " + same).status == 0);
    REQUIRE(cli::ivsim("run " + kQuick + " --set timing.overrides.c2c_same_die=30 --report " + slow).status == 0);
  }
  ~Reports() {
    for (const auto& f : {base, same, slow}) std::remove(f.c_str());
  }
};

}  // namespace

TEST_CASE("compare passes the same run, fails a slower one with status 5, and a tolerance lets it through") {
  const Reports r;
  cli::Result c = cli::ivsim("compare " + r.base + " " + r.same, false);
  INFO(c.out);
  CHECK(c.status == 0);
  CHECK(c.out.find("hmi_command.round_trip.p99") != std::string::npos);
  CHECK(c.out.find("ok: 0 regressions") != std::string::npos);

  c = cli::ivsim("compare " + r.base + " " + r.slow, false);
  CHECK(c.status == 5);
  CHECK(c.out.find("REGRESSION") != std::string::npos);
  CHECK(c.out.find("+9.83%") != std::string::npos);
  // Six statistics of the round trip and six of the one-way latency (+18 ns of +44 ns: 40.7 %).
  CHECK(c.out.find("FAIL: 12 regressions") != std::string::npos);

  // The one-way latency moved 40.7 %: a tolerance of 41 % lets both through.
  c = cli::ivsim("compare " + r.base + " " + r.slow + " --tolerance p99=41%,max=41% --metrics p99,max", false);
  CHECK(c.status == 0);
  c = cli::ivsim("compare " + r.base + " " + r.slow + " --tolerance p99=5% --metrics p99", false);
  CHECK(c.status == 5);
  c = cli::ivsim("compare " + r.base + " " + r.slow + " --tolerance p99=40ns --metrics p99", false);
  CHECK(c.status == 0);
  // Faster is no regression.
  c = cli::ivsim("compare " + r.slow + " " + r.base, false);
  CHECK(c.status == 0);
  CHECK(c.out.find("better") != std::string::npos);

  // Machine output.
  c = cli::ivsim("compare " + r.base + " " + r.slow + " --json --metrics p99", false);
  CHECK(c.status == 5);
  const Json j = Json::parse(c.out);
  CHECK(j["regressions"] == 2);
  REQUIRE(j["rows"].size() == 2);
  CHECK(j["rows"][0]["metric"] == "hmi_command.round_trip.p99");
  CHECK(j["rows"][0]["verdict"] == "REGRESSION");
  CHECK(j["rows"][0]["delta"].get<double>() == Approx(36.0).margin(0.5));  // four transfers 9 ns slower, noise aside
}

TEST_CASE("compare reads an ivsim-report/1 baseline against an ivsim-report/2 candidate") {
  const Reports r;
  Json old = Json::parse(cli::slurp(r.base));
  CHECK(old["schema"] == "ivsim-report/2");
  old["schema"] = "ivsim-report/1";
  for (auto& w : old["workloads"])
    for (auto& m : w["metrics"]) m.erase("histogram");
  const std::string v1 = cli::temp_path("v1.json");
  std::ofstream(v1) << old.dump(2);
  const cli::Result c = cli::ivsim("compare " + v1 + " " + r.same, false);
  INFO(c.out);
  CHECK(c.status == 0);
  std::remove(v1.c_str());
}

namespace {

// Marks point `i` of a sweep's results as failed (exit 4, stalled), as a
// sweep records a point that did not finish.
void fail_point(const std::string& results, std::size_t i) {
  Json j = Json::parse(cli::slurp(results));
  j["points"][i]["status"] = "failed";
  j["points"][i]["exit_status"] = 4;
  j["points"][i]["message"] = "ivsim: stalled";
  j["points"][i]["metrics"] = Json::object();
  std::ofstream(results) << j.dump(2);
}

}  // namespace

TEST_CASE("compare pairs a sweep's points by their values and flags a point that now fails") {
  const std::string a = cli::temp_path("cmp-a"), b = cli::temp_path("cmp-b");
  REQUIRE(std::system(("rm -rf " + a + " " + b).c_str()) == 0);
  const std::string sweep =
      "sweep --set workloads[0].params.iterations=200 --vary workloads[0].params.message_bytes=64,"
      "256 --quiet --out ";
  REQUIRE(cli::ivsim(sweep + a).status == 0);
  REQUIRE(cli::ivsim(sweep + b).status == 0);
  cli::Result c = cli::ivsim("compare " + a + " " + b + "/results.json", false);
  INFO(c.out);
  CHECK(c.status == 0);
  CHECK(c.out.find("workloads[0].params.message_bytes=256") != std::string::npos);
  // The candidate's point 1 failed.
  fail_point(b + "/results.json", 1);
  c = cli::ivsim("compare " + a + " " + b, false);
  CHECK(c.status == 5);
  CHECK(c.out.find("status: ok -> failed: exit 4") != std::string::npos);
  CHECK(c.out.find("MISSING") != std::string::npos);
  REQUIRE(std::system(("rm -rf " + a + " " + b).c_str()) == 0);
}

TEST_CASE("compare pairs the points of sweeps with different seeds a side and names the seed a point failed in") {
  const std::string root = cli::temp_path("cmp-seeds");
  const std::string sweep =
      "sweep --set workloads[0].params.iterations=200 --vary workloads[0].params.message_bytes=64,"
      "256 --quiet --out ";
  for (int seed : {1, 2, 3, 4})
    REQUIRE(cli::ivsim(sweep + root + "/s" + std::to_string(seed) + " --seed " + std::to_string(seed)).status == 0);
  const std::string sides = "compare --baseline " + root + "/s1 " + root + "/s2 --candidate " + root + "/s3 " + root +
                            "/s4/results.json --metrics max --tolerance max=1%";  // two seeds: a thin spread
  cli::Result c = cli::ivsim(sides, false);
  INFO(c.out);
  CHECK(c.status == 0);
  CHECK(c.out.find("seeds: baseline 2 (1, 2), candidate 2 (3, 4)") != std::string::npos);
  CHECK(c.out.find("workloads[0].params.message_bytes=256") != std::string::npos);
  // Seed 4's point 1 failed.
  fail_point(root + "/s4/results.json", 1);
  c = cli::ivsim(sides, false);
  CHECK(c.status == 5);
  CHECK(c.out.find("status: ok -> failed: exit 4 (seed 4)") != std::string::npos);
  CHECK(c.out.find("MISSING") != std::string::npos);
  REQUIRE(std::system(("rm -rf " + root).c_str()) == 0);
}

TEST_CASE("compare refuses bad input and options with status 2") {
  const std::string bad = cli::temp_path("bad.json");
  std::ofstream(bad) << "{\"schema\": \"something-else/1\"}";
  cli::Result c = cli::ivsim("compare " + bad + " " + bad);
  CHECK(c.status == 2);
  CHECK(c.out.find(bad + ": error: schema: expected an ivsim report") != std::string::npos);
  std::ofstream(bad) << "not json";
  c = cli::ivsim("compare " + bad + " " + bad);
  CHECK(c.status == 2);
  CHECK(c.out.find(bad + ": error: not JSON") != std::string::npos);
  const Reports r;
  c = cli::ivsim("compare " + r.base + " " + r.same + " --tolerance p99=5");
  CHECK(c.status == 2);
  CHECK(c.out.find("--tolerance: error: p99: expected a percentage") != std::string::npos);
  c = cli::ivsim("compare " + r.base + " " + r.same + " --metrics p98");
  CHECK(c.status == 2);
  CHECK(c.out.find("--metrics: error: the baseline has no metric 'p98'") != std::string::npos);
  std::remove(bad.c_str());
}

namespace {

// Runs of the default scenario, whose noise (ticks, the Service VM's
// activity, DRAM refresh) each seed draws anew: DIR/seed-N.json per seed.
std::vector<std::string> seed_runs(const std::string& dir, const std::vector<int>& seeds,
                                   const std::string& extra = "") {
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  std::vector<std::string> files;
  for (int seed : seeds) {
    files.push_back(dir + "/seed-" + std::to_string(seed) + ".json");
    REQUIRE(cli::ivsim("run " + kQuick + " --seed " + std::to_string(seed) + " " + extra + " --report " + files.back())
                .status == 0);
  }
  return files;
}

std::string joined(const std::vector<std::string>& files) {
  std::string s;
  for (const auto& f : files) s += " " + f;
  return s;
}

struct SeedFolders {
  std::string root = cli::temp_path("seeds");
  std::string base = root + "/base", same = root + "/same", slow = root + "/slow";
  ~SeedFolders() { std::system(("rm -rf " + root).c_str()); }
};

}  // namespace

TEST_CASE("compare with several seeds a side passes a candidate that moves within the baseline's seed spread") {
  const SeedFolders d;
  const auto base = seed_runs(d.base, {1, 2, 3});
  const auto same = seed_runs(d.same, {4, 5, 6});
  auto max_of = [](const std::string& report) {
    return Json::parse(cli::slurp(report))["workloads"][0]["metrics"][0]["max"].get<double>();
  };
  // One run a side is one sample: some candidate seed's slowest round trip
  // lies above some baseline seed's, and that single comparison calls it a
  // regression.
  std::string lo = base[0], hi = same[0];
  for (const auto& b : base)
    if (max_of(b) < max_of(lo)) lo = b;
  for (const auto& c : same)
    if (max_of(c) > max_of(hi)) hi = c;
  REQUIRE(max_of(hi) > max_of(lo));
  cli::Result c = cli::ivsim("compare " + lo + " " + hi + " --metrics max", false);
  CHECK(c.status == 5);
  // Over the seeds the two ranges overlap: the same model, no regression.
  c = cli::ivsim("compare " + d.base + " " + d.same, false);
  INFO(c.out);
  CHECK(c.status == 0);
  CHECK(c.out.find("seeds: baseline 3 (1, 2, 3), candidate 3 (4, 5, 6)") != std::string::npos);
  CHECK(c.out.find("spread") != std::string::npos);
  CHECK(c.out.find("ok: 0 regressions") != std::string::npos);
  // The same sides as files after --baseline and --candidate, in JSON.
  c = cli::ivsim("compare --baseline" + joined(base) + " --candidate" + joined(same) + " --json --metrics max", false);
  CHECK(c.status == 0);
  const Json j = Json::parse(c.out);
  CHECK(j["seeds"]["baseline"] == Json::array({1, 2, 3}));
  CHECK(j["rows"][0]["metric"] == "hmi_command.round_trip.max");
  CHECK(j["rows"][0]["baseline_seeds"] == 3);
  double bmax = 0, bsum = 0, cmin = 1e300;
  for (const auto& b : base) bmax = std::max(bmax, max_of(b)), bsum += max_of(b);
  for (const auto& x : same) cmin = std::min(cmin, max_of(x));
  CHECK(j["rows"][0]["baseline_max"].get<double>() == Approx(bmax));
  CHECK(j["rows"][0]["baseline"].get<double>() == Approx(bsum / 3));
  CHECK(j["rows"][0]["candidate_min"].get<double>() == Approx(cmin));
  CHECK(j["rows"][0]["spread"].get<double>() == Approx(bmax - bsum / 3));
  CHECK(cmin <= bmax);  // why it is no regression
}

TEST_CASE("compare with several seeds a side fails a slowdown beyond the spread") {
  const SeedFolders d;
  const auto base = seed_runs(d.base, {1, 2, 3});
  const auto slow = seed_runs(d.slow, {4, 5, 6}, "--set timing.overrides.c2c_same_die=30");
  const cli::Result c = cli::ivsim(
      "compare --baseline" + joined(base) + " --candidate" + joined(slow) + " --tolerance p99=5% --metrics p99,max",
      false);
  INFO(c.out);
  CHECK(c.status == 5);
  CHECK(c.out.find("FAIL: 4 regressions") != std::string::npos);
}

TEST_CASE("compare --junit writes each compared statistic as a testcase, a regression as its failure") {
  const SeedFolders d;
  const auto base = seed_runs(d.base, {1, 2});
  const auto slow = seed_runs(d.slow, {3, 4}, "--set timing.overrides.c2c_same_die=30");
  const std::string xml = d.root + "/compare.xml";
  const cli::Result c = cli::ivsim("compare --baseline" + joined(base) + " --candidate" + joined(slow) +
                                       " --tolerance max=20% --metrics p99,max --junit " + xml,
                                   false);
  INFO(c.out);
  CHECK(c.status == 5);

  pugi::xml_document doc;
  REQUIRE(doc.load_file(xml.c_str()));
  const pugi::xml_node suite = doc.child("testsuites").child("testsuite");
  CHECK(suite.attribute("tests").as_int() == 4);
  // The one-way max grew 40 %: beyond 20 %; the round trip's 10 % is within.
  CHECK(suite.attribute("failures").as_int() == 3);
  const pugi::xml_node p99 = suite.find_child_by_attribute("testcase", "name", "hmi_command.round_trip.p99");
  REQUIRE(p99);
  CHECK(std::string(p99.child("failure").attribute("type").value()) == "REGRESSION");
  CHECK(std::string(p99.child("failure").attribute("message").value()).find("over 2 seeds") != std::string::npos);
  CHECK_FALSE(suite.find_child_by_attribute("testcase", "name", "hmi_command.round_trip.max").child("failure"));
  const pugi::xml_node rule = suite.child("properties").find_child_by_attribute("property", "name", "rule");
  CHECK(std::string(rule.attribute("value").value())
            .find("candidate's minimum over its seeds exceeds the baseline's maximum") != std::string::npos);
  // A path that cannot be written is refused before anything is read.
  CHECK(cli::ivsim("compare " + base[0] + " " + slow[0] + " --junit " + d.root + "/no/such/folder.xml").status == 2);
}

TEST_CASE("compare refuses runs of different scenarios, or one seed twice, on one side with status 2") {
  const SeedFolders d;
  seed_runs(d.base, {1, 2});
  const auto other = seed_runs(d.base, {3}, "--set timing.overrides.c2c_same_die=30");
  cli::Result c = cli::ivsim("compare " + d.base + " " + d.base);
  INFO(c.out);
  CHECK(c.status == 2);
  CHECK(c.out.find(other[0] + ": error: scenario.timing.overrides.c2c_same_die: is 30 here but absent in " + d.base +
                   "/seed-1.json: the baseline's runs must be of one scenario with different seeds") !=
        std::string::npos);
  c = cli::ivsim("compare --baseline " + d.base + "/seed-1.json " + d.base + "/seed-1.json --candidate " + d.base +
                 "/seed-2.json");
  CHECK(c.status == 2);
  CHECK(c.out.find("error: scenario.run.seed: is 1 as in") != std::string::npos);
  c = cli::ivsim("compare " + d.base + "/seed-1.json " + d.base + "/seed-2.json --baseline " + d.base + "/seed-2.json");
  CHECK(c.status == 2);
  CHECK(c.out.find("--baseline: error: give the baseline once: BASELINE or --baseline, not both") != std::string::npos);
}
