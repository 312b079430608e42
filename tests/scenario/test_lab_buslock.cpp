// What Lab 6 (docs/labs/6-a-neighbour-that-takes-the-bus.md) has students
// find, as the shape of the results rather than its figures: a neighbour
// that keeps to its own L2 leaves the RT response alone; its split locks
// make the response's tail miss the deadline by waits for the bus, more of
// them the more it locks, while the median holds.
#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kLab = std::string(IVSIM_TESTS_DIR) + "/../docs/labs/files/buslock.yaml";

nlohmann::json run(int split_lock_percent) {
  return nlohmann::json::parse(
      cli::run_report(kLab + " --set workloads[1].params.split_lock_percent=" + std::to_string(split_lock_percent),
                      "lab-buslock.json"));
}

const nlohmann::json& response(const nlohmann::json& j) { return j["workloads"][0]["metrics"][0]; }
long long misses(const nlohmann::json& j) { return j["workloads"][0]["counters"]["deadline_misses"]; }
long long missed_by(const nlohmann::json& j, const std::string& cause) {
  return j["workloads"][0]["counters"].value("deadline_misses." + cause, 0LL);
}

}  // namespace

TEST_CASE("lab 6: a split-locking neighbour that shares nothing else makes the RT response miss by the bus") {
  const auto quiet = run(0), some = run(1), more = run(5);
  CHECK(misses(quiet) == 0);
  CHECK(response(quiet)["breakdown"]["queue"].get<double>() < 0.1);
  // The median holds at 1 %; the tail does not.
  CHECK(response(some)["p50"] == response(quiet)["p50"]);
  CHECK(response(some)["p99"].get<double>() > response(quiet)["p99"].get<double>() + 500);
  CHECK(misses(some) > 0);
  CHECK(missed_by(some, "queue") * 2 > misses(some));  // mostly a wait for the bus
  CHECK(misses(more) > 2 * misses(some));
  CHECK(response(more)["breakdown"]["queue"].get<double>() > response(some)["breakdown"]["queue"].get<double>());
  // The report names the vCPU that locked the bus, and only that one.
  long long locks = 0;
  for (const auto& vm : some["vms"])
    for (const auto& v : vm["vcpus"])
      if (v.contains("bus_locks")) {
        CHECK(vm["name"] == "Neighbour_VM");
        locks += v["bus_locks"].get<long long>();
      }
  CHECK(locks == some["workloads"][1]["counters"]["split_locks"].get<long long>());
}
