// Inputs that once grew without bound: each is refused quickly, with status 2
// and a located error, by the binary as a user runs it.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/scenario/cli.h"

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = cli::temp_path(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("a scenario file holding only a comma is refused with status 2") {
  const std::string f = write_temp("comma.yaml", ",");
  for (const std::string cmd : {"validate ", "run "}) {
    const cli::Result r = cli::ivsim(cmd + f);
    INFO(r.out);
    CHECK(r.status == 2);
    CHECK(r.out.find(f + ":1:1: error: invalid YAML: unexpected ','") != std::string::npos);
  }
  std::remove(f.c_str());
}

TEST_CASE("a billion-laughs alias bomb in a scenario, a workloads file or --set is refused with status 2") {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  const std::string f = write_temp("lol.yaml", bomb);
  cli::Result r = cli::ivsim("validate " + f);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("expands to more than 100000 nodes") != std::string::npos);
  r = cli::ivsim("run --workloads " + f);
  CHECK(r.status == 2);
  CHECK(r.out.find(f + ":5:45: error:") != std::string::npos);
  r = cli::ivsim("run --set 'description=" +
                 std::string("{a: &a [x,x,x,x,x,x,x,x,x,x], b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], "
                             "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], "
                             "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]}'"));
  CHECK(r.status == 2);
  CHECK(r.out.find("--set: error: ") != std::string::npos);
  std::remove(f.c_str());
}

TEST_CASE("an input file past the size cap, or an endless one, is refused with status 2") {
  const std::string big = write_temp("big.yaml", "name: x\ndescription: " + std::string(17u << 20, 'a') + "\n");
  cli::Result r = cli::ivsim("validate " + big);
  CHECK(r.status == 2);
  CHECK(r.out.find(big + ": error: scenario file is larger than 16 MiB") != std::string::npos);
  std::remove(big.c_str());
  r = cli::ivsim("run --workloads /dev/zero");
  CHECK(r.status == 2);
  CHECK(r.out.find("/dev/zero: error: workloads file is larger than 16 MiB") != std::string::npos);
}

TEST_CASE("the --seed option goes through run.seed's validation: a negative seed is an error, not 2^64-1") {
  const std::string report = cli::temp_path("seed.json");
  cli::Result r = cli::ivsim("run --seed -1 --report " + report);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("--seed: error: run.seed: must be between 0 and 18446744073709551615, got -1") != std::string::npos);
  CHECK_FALSE(cli::exists(report));
  r = cli::ivsim("run --quiet --seed 7 --set workloads[0].params.iterations=10 --report " + report);
  REQUIRE(r.status == 0);
  CHECK(cli::slurp(report).find("\"seed\": 7") != std::string::npos);
  std::remove(report.c_str());
}
