// The environment `ivsim sweep` gives each point's `ivsim run` (sim/sweep.h).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sweep.h"

using namespace ivsim;

TEST_CASE("a sweep point inherits the environment and gets huge pages for the allocator's large blocks") {
  std::string a = "HOME=/root", b = "PATH=/usr/bin";
  char* parent[] = {a.data(), b.data(), nullptr};
  const std::vector<std::string> env = sweep_point_environment(parent);
  CHECK(env == std::vector<std::string>{"HOME=/root", "PATH=/usr/bin", "GLIBC_TUNABLES=glibc.malloc.hugetlb=1"});
}

TEST_CASE("a sweep point keeps the user's own glibc tunables") {
  std::string a = "GLIBC_TUNABLES=glibc.malloc.hugetlb=0", b = "PATH=/usr/bin";
  char* parent[] = {a.data(), b.data(), nullptr};
  const std::vector<std::string> env = sweep_point_environment(parent);
  CHECK(env == std::vector<std::string>{"GLIBC_TUNABLES=glibc.malloc.hugetlb=0", "PATH=/usr/bin"});
}

namespace {

// Runs a one-point sweep whose point is a stand-in for `ivsim run` that
// fails with the GLIBC_TUNABLES it was started with as its message: what
// fork and exec really hand a point.
std::string point_tunables() {
  char dir_template[] = "/tmp/ivsim-sweep-env-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string program = dir + "/point";
  {
    std::ofstream f(program);
    f << "#!/bin/sh\necho \"ivsim: error: GLIBC_TUNABLES=${GLIBC_TUNABLES-unset}\"\nexit 2\n";
  }
  REQUIRE(::chmod(program.c_str(), 0755) == 0);
  SweepOptions o;
  o.spec.run_args = {"scenario.yaml"};
  o.spec.vary = {parse_vary("run.seed=1")};
  o.out_dir = dir + "/out";
  o.jobs = 1;
  o.quiet = true;
  o.program = program;
  CHECK(run_sweep(o) == kExitPointsFailed);
  std::ifstream in(o.out_dir + "/results.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0);
  REQUIRE(j["points"].size() == 1);
  CHECK(j["points"][0]["exit_status"] == 2);
  return j["points"][0]["message"].get<std::string>();
}

// Sets or (null) unsets a variable for its scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace

TEST_CASE("a sweep's point process is started with the tunable, or with the user's own") {
  {
    ScopedEnv none("GLIBC_TUNABLES", nullptr);
    CHECK(point_tunables() == "ivsim: error: GLIBC_TUNABLES=glibc.malloc.hugetlb=1");
  }
  ScopedEnv user("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0");
  CHECK(point_tunables() == "ivsim: error: GLIBC_TUNABLES=glibc.malloc.hugetlb=0");
}
