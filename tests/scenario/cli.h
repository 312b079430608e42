// Running the ivsim binary from scenario tests, as a user or CI runs it.
#pragma once

#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace cli {

struct Result {
  int status = -1;
  std::string out;  // stdout and stderr together, unless split
};

// Runs a shell command line; stdout and stderr together in out.
inline Result run(const std::string& command_line) {
  Result r;
  const std::string cmd = "(" + command_line + ") 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Runs `ivsim ARGS`; `stderr_too` merges stderr into out, else it goes to /dev/null.
inline Result ivsim(const std::string& args, bool stderr_too = true) {
  Result r;
  const std::string cmd = std::string(IVSIM_BINARY) + " " + args + (stderr_too ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline bool exists(const std::string& path) { return std::ifstream(path).good(); }

inline std::string temp_path(const std::string& name) {
  return "/tmp/ivsim-test-" + std::to_string(getpid()) + "-" + name;
}

// `ivsim run --quiet --report FILE ARGS`, which must end with `status` (0
// unless given; 4 for a run that stalls, which still writes its report):
// what it printed (stdout and stderr) and the report's text (FILE, a
// temp_path of `name`, removed).
struct RunAndReport {
  std::string out;
  std::string report;
};
inline RunAndReport run_and_report(const std::string& args, const std::string& name, int status = 0) {
  const std::string report = temp_path(name);
  std::remove(report.c_str());
  const Result r = ivsim("run --quiet --report " + report + " " + args);
  INFO(r.out);
  REQUIRE(r.status == status);
  RunAndReport out{r.out, slurp(report)};
  std::remove(report.c_str());
  return out;
}

// The report's text alone.
inline std::string run_report(const std::string& args, const std::string& name) {
  return run_and_report(args, name).report;
}

}  // namespace cli
