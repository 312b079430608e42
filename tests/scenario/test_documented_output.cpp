// The summary README.md and docs/running.md show is what `ivsim run` prints
// for the default scenario: the same lines in the same layout, numbers
// aside (wall time and speed vary from machine to machine).
#include <catch2/catch.hpp>

#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/scenario/cli.h"

namespace {

const std::string kRoot = std::string(IVSIM_TESTS_DIR) + "/..";

// The first ```text block of `doc` holding a summary, without "$ command" lines.
std::vector<std::string> documented_summary(const std::string& doc) {
  const std::string text = cli::slurp(kRoot + "/" + doc);
  std::size_t at = 0;
  while ((at = text.find("```text\n", at)) != std::string::npos) {
    at += 8;
    const std::size_t end = text.find("```", at);
    const std::string block = text.substr(at, end - at);
    if (block.find("ivsim 0.1.0 | scenario") == std::string::npos) continue;
    std::vector<std::string> lines;
    std::istringstream in(block);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("$ ", 0) != 0) lines.push_back(line);
    return lines;
  }
  FAIL("no summary block in " << doc);
  return {};
}

// Numbers become "#"; the columns' spacing stays, so a layout change shows.
std::string shape(const std::string& line) { return std::regex_replace(line, std::regex("[0-9]+(\\.[0-9]+)*"), "#"); }

}  // namespace

TEST_CASE("README.md and docs/running.md show the summary ivsim run prints for the default scenario") {
  const std::string dir = cli::temp_path("doc-run");
  const cli::Result r = cli::run("mkdir -p " + dir + " && cd " + dir + " && " + IVSIM_BINARY + " run");
  INFO(r.out);
  REQUIRE(r.status == 0);
  std::vector<std::string> printed;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) printed.push_back(line);
  cli::run("rm -rf " + dir);

  for (const std::string doc : {"README.md", "docs/running.md"}) {
    INFO(doc);
    const std::vector<std::string> shown = documented_summary(doc);
    REQUIRE(shown.size() == printed.size());
    for (std::size_t i = 0; i < shown.size(); ++i) CHECK(shape(shown[i]) == shape(printed[i]));
  }
}

TEST_CASE("the README's timing override example visibly changes the default scenario's round trip") {
  const std::string readme = cli::slurp(kRoot + "/README.md");
  const std::string example = "--set timing.overrides.c2c_same_die=30";
  REQUIRE(readme.find(example) != std::string::npos);
  REQUIRE(readme.find("from 366.2 to 402.2 ns") != std::string::npos);
  REQUIRE(readme.find("with `--set noise=off` the default round trip") != std::string::npos);
  const std::string args = " --set workloads[0].params.iterations=100 --set noise=off";
  const cli::Result before = cli::ivsim("run --report " + cli::temp_path("before.json") + args);
  const cli::Result after = cli::ivsim("run --report " + cli::temp_path("after.json") + args + " " + example);
  INFO(before.out << after.out);
  REQUIRE(before.status == 0);
  REQUIRE(after.status == 0);
  CHECK(before.out.find("366.2  366.2") != std::string::npos);
  CHECK(after.out.find("402.2  402.2") != std::string::npos);
  std::remove(cli::temp_path("before.json").c_str());
  std::remove(cli::temp_path("after.json").c_str());
}
