// A sharded sweep on a real Slurm cluster: a single-node cluster from
// Debian's packages (tests/slurm/cluster.sh: munged, slurmctld, slurmd, as
// root, no init system) runs the sweep as a job array, one slice per task;
// `ivsim merge` joins the slices, and the table equals a local sweep's.
// Skipped (status 77) when not root or the packages are missing.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/scenario/cli.h"

namespace {

const std::string kSource = std::string(IVSIM_TESTS_DIR) + "/..";

[[noreturn]] void skip(const std::string& why) {
  std::printf("SKIPPED: %s\n", why.c_str());
  std::fflush(stdout);
  std::_Exit(IVSIM_SKIP_RETURN_CODE);
}

// Stops the cluster however the test ends.
struct Cluster {
  std::string dir;
  std::string conf;
  explicit Cluster(const std::string& d) : dir(d) {
    const cli::Result r = cli::run("bash " + kSource + "/tests/slurm/cluster.sh start " + dir);
    if (r.status == 77) skip(r.out);
    INFO(r.out);
    REQUIRE(r.status == 0);
    const auto at = r.out.find("export SLURM_CONF=");
    REQUIRE(at != std::string::npos);
    conf = r.out.substr(at + 18, r.out.find('\n', at) - at - 18);
  }
  ~Cluster() { cli::run("bash " + kSource + "/tests/slurm/cluster.sh stop " + dir); }
};

}  // namespace

TEST_CASE("a sweep sharded as a Slurm job array merges into the table of the same sweep run locally") {
  if (geteuid() != 0) skip("the Slurm daemons run as root");
  const std::string dir = cli::temp_path("slurm");
  REQUIRE(std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()) == 0);
  {
    const Cluster cluster(dir + "/cluster");

    const std::string sweep = std::string(IVSIM_BINARY) + " sweep " + kSource +
                              "/platforms/scenarios/post_pair.yaml --set workloads[0].params.iterations=200"
                              " --vary 'ivshmem[0].provider=Hypervisor,Device Model'"
                              " --vary workloads[0].params.notify=poll,doorbell"
                              " --vary workloads[0].params.message_bytes=64,4096 --quiet";
    // The job: one slice per array task (ivsim reads SLURM_ARRAY_TASK_ID and
    // _COUNT); status 6 (a point failed, and is recorded) is a finished slice.
    {
      std::ofstream job(dir + "/sweep.sbatch");
      job << "#!/bin/bash\n"
             "#SBATCH --job-name=ivsim-sweep\n"
             "#SBATCH --cpus-per-task=1\n"
          << sweep << " --jobs 1 --out " << dir << "/shards\n"
          << "status=$?\n[ $status -eq 6 ] && exit 0\nexit $status\n";
    }
    const cli::Result sub = cli::run("SLURM_CONF=" + cluster.conf + " sbatch --wait --array=0-3 --output=" + dir +
                                     "/task-%a.log " + dir + "/sweep.sbatch");
    INFO(sub.out);
    INFO(cli::run("cat " + dir + "/task-*.log").out);
    REQUIRE(sub.status == 0);
    for (int i = 0; i < 4; ++i) CHECK(cli::exists(dir + "/shards/results.shard-" + std::to_string(i) + "-of-4.json"));

    const cli::Result merged =
        cli::run(std::string(IVSIM_BINARY) + " merge " + dir + "/shards --out " + dir + "/merged");
    INFO(merged.out);
    CHECK(merged.status == 6);  // dm-land's doorbell points failed, as they do locally
    REQUIRE(cli::run(sweep + " --out " + dir + "/local").status == 6);
    CHECK(cli::slurp(dir + "/merged/results.json") == cli::slurp(dir + "/local/results.json"));
    CHECK(cli::slurp(dir + "/merged/results.csv") == cli::slurp(dir + "/local/results.csv"));
    CHECK(cli::slurp(dir + "/merged/results.csv").find("Device Model,doorbell,4096,failed,2,") != std::string::npos);
  }  // the cluster stops here, before its folder goes
  REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0);
}
