// `ivsim plot` through the binary and matplotlib: a sweep's metric against a
// varied field with its groups, failed points and units; a run's histogram.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/scenario/cli.h"

namespace {

const std::string kSource = std::string(IVSIM_TESTS_DIR) + "/..";

}  // namespace

TEST_CASE("plot draws a sweep's metric against a varied field, one line per group, failed points marked") {
  const std::string dir = cli::temp_path("plot-sweep");
  REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0);
  REQUIRE(cli::ivsim("sweep " + kSource +
                     "/platforms/scenarios/post_pair.yaml --set workloads[0].params.iterations=100"
                     " --vary 'ivshmem[0].provider=Hypervisor,Device Model' --vary workloads[0].params.notify=poll,"
                     "doorbell --vary workloads[0].params.message_bytes=64,4096 --quiet --out " +
                     dir)
              .status == 6);
  cli::Result r = cli::ivsim("plot " + dir + " --x message_bytes --y round_trip.p99 --group provider --group notify " +
                             "--error-bars --out " + dir + "/p99.svg");
  INFO(r.out);
  REQUIRE(r.status == 0);
  // Text stays text in the SVG: labels, units, the groups, the failed points.
  const std::string svg = cli::slurp(dir + "/p99.svg");
  CHECK(svg.find("message_bytes (bytes)") != std::string::npos);
  CHECK(svg.find("msg round_trip p99 (ns)") != std::string::npos);
  CHECK(svg.find("provider=Hypervisor, notify=doorbell") != std::string::npos);
  CHECK(svg.find("provider=Device Model, notify=doorbell: failed (exit 2)") != std::string::npos);
  // The y values span two decades (polling ~90 ns, doorbell ~7 us): log axis, ticks as powers of ten.
  CHECK(svg.find("10^{3}") + svg.find("10^3") + svg.find("{10^{") != 3 * std::string::npos);
  // The same results draw the same file.
  REQUIRE(cli::ivsim("plot " + dir + " --x message_bytes --y round_trip.p99 --group provider --group notify " +
                     "--error-bars --out " + dir + "/again.svg")
              .status == 0);
  CHECK(cli::slurp(dir + "/again.svg") == svg);
  // PNG by the file's extension.
  r = cli::ivsim("plot " + dir +
                 "/results.json --x message_bytes --y round_trip.p50 --where provider=Hypervisor --group notify " +
                 "--out " + dir + "/p50.png");
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(cli::slurp(dir + "/p50.png").rfind("\x89PNG", 0) == 0);

  // A varied key neither on the axis, grouped nor fixed is refused.
  r = cli::ivsim("plot " + dir + " --x message_bytes --y round_trip.p99 --group notify --out " + dir + "/x.png");
  CHECK(r.status == 2);
  CHECK(r.out.find("--x: error: the sweep also varies ivshmem[0].provider: give --group provider or --where") !=
        std::string::npos);
  r = cli::ivsim("plot " + dir + " --x message_bytes --y p98 --group notify --group provider --out " + dir + "/x.png");
  CHECK(r.status == 2);
  CHECK(r.out.find("--y: error: no metric matches 'p98'") != std::string::npos);
  r = cli::ivsim("plot " + dir + " --x message_bytes --y round_trip.p99 --out " + dir + "/x.pdf");
  CHECK(r.status == 2);
  CHECK(r.out.find("--out: error: FILE.png or FILE.svg expected") != std::string::npos);
  CHECK_FALSE(cli::exists(dir + "/x.png"));
  REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0);
}

TEST_CASE("plot draws one run's latency histogram from the report's bins") {
  const std::string report = cli::temp_path("hist.json"), svg = cli::temp_path("hist.svg");
  REQUIRE(cli::ivsim("run --quiet --set workloads[0].params.iterations=300 --report " + report).status == 0);
  const auto j = nlohmann::json::parse(cli::slurp(report));
  const auto& m = j["workloads"][0]["metrics"][0];
  // The report's bins: [low_ns, high_ns, count], counts adding up to the samples.
  long long n = 0;
  for (const auto& b : m["histogram"]["bins"]) {
    CHECK(b[0].get<double>() < b[1].get<double>());
    n += b[2].get<long long>();
  }
  CHECK(n == m["count"].get<long long>());
  const cli::Result r = cli::ivsim("plot " + report + " --histogram round_trip --out " + svg);
  INFO(r.out);
  REQUIRE(r.status == 0);
  const std::string s = cli::slurp(svg);
  CHECK(s.find("hmi_command.round_trip (ns)") != std::string::npos);
  CHECK(s.find("samples") != std::string::npos);
  CHECK(s.find("p99") != std::string::npos);
  std::remove(report.c_str());
  std::remove(svg.c_str());
}
