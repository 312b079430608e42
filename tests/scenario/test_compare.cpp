// `ivsim compare`: the latency gate a CI job runs. Same input passes, a
// slower candidate fails with status 5 unless the tolerance allows it, both
// report schemas and sweep results are read, bad input is status 2.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

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
  Json j = Json::parse(cli::slurp(b + "/results.json"));
  j["points"][1]["status"] = "failed";
  j["points"][1]["exit_status"] = 4;
  j["points"][1]["message"] = "ivsim: stalled";
  j["points"][1]["metrics"] = Json::object();
  std::ofstream(b + "/results.json") << j.dump(2);
  c = cli::ivsim("compare " + a + " " + b, false);
  CHECK(c.status == 5);
  CHECK(c.out.find("status: ok -> failed: exit 4") != std::string::npos);
  CHECK(c.out.find("MISSING") != std::string::npos);
  REQUIRE(std::system(("rm -rf " + a + " " + b).c_str()) == 0);
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
