// Whole runs through the ivsim binary, as a user or CI runs it.
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include "tests/scenario/cli.h"

namespace {

using cli::Result;
using cli::slurp;
Result run(const std::string& args) { return cli::ivsim(args); }

std::string temp_path(const std::string& name) { return "/tmp/ivsim-test-" + std::to_string(getpid()) + "-" + name; }

// Cycles to picoseconds exactly as the models convert them.
long long cycles_ps(long long cycles, long long mhz) { return (cycles * 1000000 + mhz / 2) / mhz; }

}  // namespace

TEST_CASE("the default scenario runs end to end and its round trip is what the timing profile predicts") {
  const std::string report = temp_path("default.json");
  // Noiseless, every round trip is the prediction (test_noise.cpp: the spread with noise).
  const Result r = run("run --report " + report + " --set workloads[0].params.iterations=2000 --set noise=off");
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("round_trip") != std::string::npos);
  const auto j = nlohmann::json::parse(slurp(report));
  CHECK(j["schema"] == "ivsim-report/2");
  const auto& w = j["workloads"][0];
  CHECK(w["status"] == "completed");
  const auto& m = w["metrics"][0];
  CHECK(m["name"] == "round_trip");
  CHECK(m["count"] == 2000);

  // The polled request/response moves four lines between the two cores per
  // round trip (command flag and payload to the RT VM, response payload and
  // flag back), each one core-to-core transfer; the initiator's two stores hit
  // its own cache; the responder computes in between.
  const auto& e = j["timing_profile"]["entries"];
  const long long mhz = e["core_mhz"]["value"].get<long long>();
  const long long l1 = cycles_ps(e["l1_hit"]["value"].get<long long>(), mhz);
  const long long c2c = static_cast<long long>(e["c2c_same_die"]["value"].get<double>() * 1000 + 0.5);
  const long long work =
      cycles_ps(j["scenario"]["workloads"][0]["params"]["response_compute_cycles"].get<long long>(), mhz);
  const double predicted_ns = static_cast<double>(2 * l1 + 4 * c2c + work) / 1000.0;
  CHECK(m["min"].get<double>() == Approx(predicted_ns).epsilon(1e-9));
  CHECK(m["p50"].get<double>() == Approx(predicted_ns).epsilon(0.005));
  CHECK(m["mean"].get<double>() == Approx(predicted_ns).epsilon(0.001));

  // The breakdown says where the time went and adds up to the mean.
  double sum = 0;
  for (const auto& [k, v] : m["breakdown"].items()) sum += v.get<double>();
  CHECK(sum == Approx(m["mean"].get<double>()).margin(0.02));
  CHECK(m["breakdown"]["coherence"].get<double>() > 0);
  CHECK(m["breakdown"]["compute"].get<double>() > 0);

  // Bring-up went through trapped config and register accesses.
  for (const auto& vm : j["vms"]) {
    if (vm["name"] == "Service_VM") continue;
    CHECK(vm["exits"]["io_instruction"].get<int>() > 0);
    CHECK(vm["exits"]["ept_violation_mmio"].get<int>() >= 1);
  }
  CHECK(j["regions"][0]["name"] == "hv:/hmi_rt");
  CHECK(j["regions"][0]["size"] == 2 * 1024 * 1024);
  CHECK(j["host"]["wall_seconds"].get<double>() > 0);
  std::remove(report.c_str());
}

TEST_CASE("two runs with the same scenario and seed give byte-identical reports apart from host") {
  const std::string a = temp_path("a.json"), b = temp_path("b.json");
  const std::string args = " --quiet --set workloads[0].params.iterations=500 --seed 3";
  REQUIRE(run("run --report " + a + args).status == 0);
  REQUIRE(run("run --report " + b + args).status == 0);
  auto ja = nlohmann::ordered_json::parse(slurp(a));
  auto jb = nlohmann::ordered_json::parse(slurp(b));
  ja.erase("host");
  jb.erase("host");
  CHECK(ja.dump(2) == jb.dump(2));
  // And the part that may differ is the host section alone.
  const std::string ta = slurp(a), tb = slurp(b);
  CHECK(ta.substr(0, ta.find("\"host\"")) == tb.substr(0, tb.find("\"host\"")));
  std::remove(a.c_str());
  std::remove(b.c_str());
}

TEST_CASE("bad input exits with status 2 and writes no report") {
  const std::string report = temp_path("bad.json");
  Result r = run("run --report " + report + " --set run.quantum_ns=0");
  CHECK(r.status == 2);
  CHECK(r.out.find("run.quantum_ns") != std::string::npos);
  r = run("run /nonexistent/scenario.yaml --report " + report);
  CHECK(r.status == 2);
  CHECK(r.out.find("/nonexistent/scenario.yaml") != std::string::npos);
  r = run("run --report " + report + " --bogus-flag");
  CHECK(r.status == 2);
  std::ifstream f(report);
  CHECK_FALSE(f.good());
}

TEST_CASE("ivsim --version and --help answer") {
  Result r = run("--version");
  CHECK(r.status == 0);
  CHECK(r.out.find("ivsim") != std::string::npos);
  r = run("run --help");
  CHECK(r.status == 0);
  CHECK(r.out.find("--report") != std::string::npos);
}

TEST_CASE("ivsim --strict is taken before and after the subcommand, and a clean run under it succeeds") {
  const std::string report = temp_path("strict.json");
  Result r = run("--strict run --quiet --set workloads[0].params.iterations=10 --report " + report);
  CHECK(r.status == 0);
  r = run("run --strict --quiet --set workloads[0].params.iterations=10 --report " + report);
  CHECK(r.status == 0);
  CHECK(r.out.find("--strict") == std::string::npos);
  // Bad input under --strict is still bad input.
  r = run("--strict run --set nosuchfield=1 --report " + report);
  CHECK(r.status == 2);
  std::remove(report.c_str());
}

TEST_CASE("run.duration_us stops the run at that simulated time and the workload reports stopped") {
  const std::string report = temp_path("duration.json");
  const Result r = run("run --quiet --report " + report + " --set run.duration_us=1000");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(slurp(report));
  CHECK(j["workloads"][0]["status"] == "stopped");
  const auto count = j["workloads"][0]["metrics"][0]["count"].get<long long>();
  CHECK(count > 100);
  CHECK(count < 20000);
  CHECK(j["simulated_ns"].get<double>() <= 1000000 + 1000);  // within a quantum of the limit
  std::remove(report.c_str());
}
