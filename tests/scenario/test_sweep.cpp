// `ivsim sweep` and `ivsim merge` through the binary: the product of the
// --vary values, one process per point, failures recorded and the rest run,
// re-runs that skip finished points, slices that merge into the local table.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/scenario/cli.h"

namespace {

using Json = nlohmann::json;

const std::string kSource = std::string(IVSIM_TESTS_DIR) + "/..";
// Four quick points of two post-launched VMs: hv-land and dm-land, polling
// and doorbell. dm-land has no doorbell: that point fails validation (exit 2).
const std::string kSweep = kSource +
                           "/platforms/scenarios/post_pair.yaml --set workloads[0].params.iterations=200"
                           " --vary 'ivshmem[0].provider=Hypervisor,Device Model'"
                           " --vary workloads[0].params.notify=poll,doorbell";

std::string fresh_dir(const std::string& name) {
  const std::string d = cli::temp_path(name);
  REQUIRE(std::system(("rm -rf " + d).c_str()) == 0);
  return d;
}

Json results(const std::string& dir) { return Json::parse(cli::slurp(dir + "/results.json")); }

}  // namespace

TEST_CASE("a sweep runs every point, records a failed one with its status and message, and goes on") {
  const std::string dir = fresh_dir("sweep");
  const cli::Result r = cli::ivsim("sweep " + kSweep + " --jobs 2 --out " + dir);
  INFO(r.out);
  CHECK(r.status == 6);  // a point failed; the table is written all the same
  const Json j = results(dir);
  CHECK(j["schema"] == "ivsim-sweep/1");
  CHECK(j["points_total"] == 4);
  REQUIRE(j["points"].size() == 4);
  // The last --vary changes fastest.
  CHECK(j["points"][1]["values"]["ivshmem[0].provider"] == "Hypervisor");
  CHECK(j["points"][1]["values"]["workloads[0].params.notify"] == "doorbell");
  for (int i : {0, 1, 2}) {
    CHECK(j["points"][i]["status"] == "ok");
    CHECK(j["points"][i]["metrics"]["msg.round_trip.count"] == 200);
    CHECK(j["points"][i]["metrics"]["msg.round_trip.p99"].get<double>() > 0);
  }
  // Doorbell costs exits and an interrupt: far slower than polling.
  CHECK(j["points"][1]["metrics"]["msg.round_trip.p50"].get<double>() >
        10 * j["points"][0]["metrics"]["msg.round_trip.p50"].get<double>());
  const Json& failed = j["points"][3];
  CHECK(failed["status"] == "failed");
  CHECK(failed["exit_status"] == 2);
  CHECK(failed["message"].get<std::string>().find("doorbell needs the device's MSI-X") != std::string::npos);
  CHECK(failed["metrics"].empty());
  CHECK(r.out.find("point 3 (ivshmem[0].provider=Device Model workloads[0].params.notify=doorbell) failed with exit "
                   "status 2") != std::string::npos);

  const std::string csv = cli::slurp(dir + "/results.csv");
  CHECK(
      csv.rfind("index,ivshmem[0].provider,workloads[0].params.notify,status,exit_status,message,msg.round_trip.count",
                0) == 0);
  CHECK(csv.find("\n3,Device Model,doorbell,failed,2,") != std::string::npos);

  // A re-run skips every finished point (a failed one too) and writes the same table.
  const cli::Result again = cli::ivsim("sweep " + kSweep + " --out " + dir);
  CHECK(again.status == 6);
  CHECK(again.out.find("(0 run now, 4 done before)") != std::string::npos);
  CHECK(results(dir) == j);
  // --retry-failed runs only the failed one.
  const cli::Result retry = cli::ivsim("sweep " + kSweep + " --out " + dir + " --retry-failed");
  CHECK(retry.status == 6);
  CHECK(retry.out.find("(1 run now, 3 done before)") != std::string::npos);
  // A point whose record is gone is run again, alone.
  std::remove((dir + "/points/1.json").c_str());
  const cli::Result one = cli::ivsim("sweep " + kSweep + " --out " + dir);
  CHECK(one.out.find("(1 run now, 3 done before)") != std::string::npos);
  CHECK(results(dir) == j);
  REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0);
}

TEST_CASE("a point that stalls is recorded with exit status 4 and the stall's message") {
  const std::string dir = fresh_dir("sweep-stall");
  const cli::Result r =
      cli::ivsim("sweep " + kSource + "/tests/data/scenarios/one-pcpu.yaml --set hypervisor.scheduler=SCHED_PRIO" +
                 " --set vms[0].priority=2 --set vms[2].priority=1" +
                 " --vary workloads[0].params.notify=poll,doorbell --out " + dir);
  INFO(r.out);
  CHECK(r.status == 6);
  const Json j = results(dir);
  CHECK(j["points"][0]["exit_status"] == 4);
  CHECK(j["points"][0]["message"].get<std::string>().find("ivsim: stalled at") == 0);
  CHECK(j["points"][1]["status"] == "ok");
  REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0);
}

TEST_CASE("slices of a sweep (--shard, a Slurm array's environment) merge into the table a local sweep makes") {
  const std::string local = fresh_dir("local"), slices = fresh_dir("slices"), merged = fresh_dir("merged");
  REQUIRE(cli::ivsim("sweep " + kSweep + " --quiet --out " + local).status == 6);
  CHECK(cli::ivsim("sweep " + kSweep + " --quiet --shard 0/3 --out " + slices).status == 6);  // points 0 and 3
  // Slice 1 as a Slurm job array's task 2 of 1..3 runs it (point 1).
  CHECK(cli::run("SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 " + std::string(IVSIM_BINARY) +
                 " sweep " + kSweep + " --quiet --out " + slices)
            .status == 0);
  // Before the last slice: merge names the missing point.
  cli::Result m = cli::ivsim("merge " + slices + " --out " + merged);
  CHECK(m.status == 6);
  CHECK(m.out.find("point 2 is in no slice") != std::string::npos);
  CHECK(cli::ivsim("sweep " + kSweep + " --quiet --shard 2/3 --out " + slices).status == 0);
  const Json s1 = Json::parse(cli::slurp(slices + "/results.shard-1-of-3.json"));
  CHECK(s1["shard"] == "1-of-3");
  REQUIRE(s1["points"].size() == 1);
  CHECK(s1["points"][0]["index"] == 1);

  m = cli::ivsim("merge " + slices + " --out " + merged);
  INFO(m.out);
  CHECK(m.status == 6);  // point 3 failed, as in the local sweep
  CHECK(cli::slurp(merged + "/results.json") == cli::slurp(local + "/results.json"));
  CHECK(cli::slurp(merged + "/results.csv") == cli::slurp(local + "/results.csv"));
  REQUIRE(std::system(("rm -rf " + local + " " + slices + " " + merged).c_str()) == 0);
}

TEST_CASE("bad sweep options are refused where they are, before any point runs") {
  const std::string dir = fresh_dir("sweep-bad");
  cli::Result r = cli::ivsim("sweep --vary run.seed --out " + dir);
  CHECK(r.status == 2);
  CHECK(r.out.find("--vary: error: expected key.path=v1,v2,...") != std::string::npos);
  r = cli::ivsim("sweep --vary run.seed=1,,2 --out " + dir);
  CHECK(r.status == 2);
  CHECK(r.out.find("--vary: error: run.seed: an empty value") != std::string::npos);
  r = cli::ivsim("sweep --vary run.seed=1,2 --shard 3/3 --out " + dir);
  CHECK(r.status == 2);
  CHECK(r.out.find("--shard: error: expected I/N with 0 <= I < N") != std::string::npos);
  r = cli::ivsim("sweep --set run.quantum_ns=0 --vary run.seed=1,2 --out " + dir);
  CHECK(r.status == 2);
  CHECK(r.out.find("--set: error: run.quantum_ns") != std::string::npos);
  CHECK_FALSE(cli::exists(dir + "/sweep.json"));
  // One folder, one sweep.
  REQUIRE(cli::ivsim("sweep --set workloads[0].params.iterations=100 --vary run.seed=1 --quiet --out " + dir).status ==
          0);
  r = cli::ivsim("sweep --set workloads[0].params.iterations=100 --vary run.seed=2 --out " + dir);
  CHECK(r.status == 2);
  CHECK(r.out.find("--out: error: " + dir + " holds a different sweep") != std::string::npos);
  // Slices of two different sweeps do not merge.
  const std::string other = fresh_dir("sweep-other");
  REQUIRE(
      cli::ivsim("sweep --set workloads[0].params.iterations=100 --vary run.seed=2 --quiet --out " + other).status ==
      0);
  r = cli::ivsim("merge " + dir + " " + other + " --out " + other + "-merged");
  CHECK(r.status == 2);
  CHECK(r.out.find("a slice of another sweep") != std::string::npos);
  REQUIRE(std::system(("rm -rf " + dir + " " + other + " " + other + "-merged").c_str()) == 0);
}
