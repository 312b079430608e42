// Reading input files: a file's parse is kept per process and redone when
// its bytes change.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "platforms/input_file.h"

using namespace ivsim;

namespace {

int parses = 0;

// One call site, so one cache, as load_timing_profile and load_board each have.
std::string parse(const std::string& path, const std::string& bytes) {
  return parsed_once(path, bytes, [&] {
    ++parses;
    if (bytes == "bad") throw std::runtime_error("bad input");
    return path + ":" + bytes;
  });
}

}  // namespace

TEST_CASE("a file's parse is kept for the same path and bytes, redone for other bytes or another path") {
  parses = 0;
  CHECK(parse("a.yaml", "x: 1") == "a.yaml:x: 1");
  CHECK(parse("a.yaml", "x: 1") == "a.yaml:x: 1");
  CHECK(parses == 1);
  CHECK(parse("a.yaml", "x: 2") == "a.yaml:x: 2");  // edited
  CHECK(parse("b.yaml", "x: 1") == "b.yaml:x: 1");  // another file with the same bytes
  CHECK(parses == 3);
  CHECK(parse("a.yaml", "x: 1") == "a.yaml:x: 1");
  CHECK(parses == 3);
}

TEST_CASE("a parse that throws is not kept: the error comes again") {
  parses = 0;
  CHECK_THROWS_WITH(parse("c.yaml", "bad"), "bad input");
  CHECK_THROWS_WITH(parse("c.yaml", "bad"), "bad input");
  CHECK(parses == 2);
}
