// The environment `ivsim sweep` gives each point's `ivsim run` (sim/sweep.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

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
