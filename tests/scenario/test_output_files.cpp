// Output files (--report, calibrate --json) replace regular files only, and
// a path that cannot be written is refused before any work, with status 2.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/scenario/cli.h"

namespace {

bool is_fifo(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

}  // namespace

TEST_CASE("the report path refuses a FIFO, a folder and a missing folder before simulating") {
  // A FIFO stands for any node that is not a regular file (as root, renaming
  // over /dev/null would replace /dev/null itself).
  const std::string fifo = cli::temp_path("report.fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  cli::Result r = cli::ivsim("run --report " + fifo);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("--report: error: " + fifo + " exists and is a FIFO") != std::string::npos);
  CHECK(r.out.find("round_trip") == std::string::npos);  // nothing was simulated
  CHECK(is_fifo(fifo));
  std::remove(fifo.c_str());

  r = cli::ivsim("run --report /tmp");
  CHECK(r.status == 2);
  CHECK(r.out.find("--report: error: /tmp exists and is a folder") != std::string::npos);

  r = cli::ivsim("run --report /nonexistent-ivsim-dir/r.json");
  CHECK(r.status == 2);
  CHECK(r.out.find("--report: error: cannot write /nonexistent-ivsim-dir/r.json: folder /nonexistent-ivsim-dir") !=
        std::string::npos);
  CHECK(r.out.find("round_trip") == std::string::npos);

  r = cli::ivsim("run --report /tmp/");
  CHECK(r.status == 2);
  CHECK(r.out.find("--report: error: expected a file name") != std::string::npos);
}

TEST_CASE("a report path through a symlink replaces the file it points to and keeps the link") {
  const std::string target = cli::temp_path("target.json"), link = cli::temp_path("link.json");
  { std::ofstream(target) << "old"; }
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  const cli::Result r = cli::ivsim("run --quiet --report " + link + " --set workloads[0].params.iterations=10");
  INFO(r.out);
  REQUIRE(r.status == 0);
  struct stat st {};
  REQUIRE(::lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(cli::slurp(target).find("\"schema\": \"ivsim-report/2\"") != std::string::npos);

  // A link that leads nowhere is refused.
  std::remove(target.c_str());
  const cli::Result dangling = cli::ivsim("run --report " + link);
  CHECK(dangling.status == 2);
  CHECK(dangling.out.find("--report: error: " + link + " is a symlink that leads nowhere") != std::string::npos);
  std::remove(link.c_str());
}

TEST_CASE("calibrate --json refuses a FIFO before calibrating") {
  const std::string fifo = cli::temp_path("calibrate.fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const cli::Result r = cli::ivsim("calibrate --profile coffee-lake-client --json " + fifo);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("--json: error: " + fifo + " exists and is a FIFO") != std::string::npos);
  CHECK(r.out.find("calibration of") == std::string::npos);  // nothing was calibrated
  CHECK(is_fifo(fifo));
  std::remove(fifo.c_str());
}
